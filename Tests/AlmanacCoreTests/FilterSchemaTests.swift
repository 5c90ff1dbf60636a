import AlmanacCore
import Testing

@Suite struct FilterSchemaTests {
    typealias T = FilterTest

    func predicate(_ text: String, _ schema: FilterSchema = .products) -> TypedPredicate? {
        guard case .condition(let condition)? = T.typed(text, schema) else { return nil }
        return condition.predicate
    }

    @Test func productFieldsConvert() throws {
        #expect(predicate(#"id = "libssl3""#) == .compare(.equal, .string("libssl3")))
        #expect(predicate(#"brand >= "D""#) == .compare(.greaterOrEqual, .string("D")))
        #expect(predicate(#"currency IN ["EUR", "USD"]"#) == .in([.string("EUR"), .string("USD")]))
        #expect(predicate("price < 1000") == .compare(.less, .integer(1000)))
        #expect(predicate("price = 10.0") == .compare(.equal, .integer(10)))
        #expect(predicate("price = 1e3") == .compare(.equal, .integer(1000)))
        #expect(predicate("price 100 TO 200") == .range(.integer(100), .integer(200)))
        #expect(predicate("in_stock = true") == .compare(.equal, .bool(true)))
        #expect(predicate("in_stock != false") == .compare(.notEqual, .bool(false)))
        #expect(predicate(#"tags = "role::shared-lib""#) == .compare(.equal, .string("role::shared-lib")))
        let time = try Timestamp(rfc3339: "2024-01-02T01:04:05Z")
        #expect(predicate(#"created_at >= "2024-01-02T03:04:05+02:00""#) == .compare(.greaterOrEqual, .time(time)))
        #expect(predicate(#"updated_at "2024-01-02T01:04:05Z" TO "2024-01-03T00:00:00Z""#)
            == .range(.time(time), .time(try Timestamp(rfc3339: "2024-01-03T00:00:00Z"))))
        #expect(predicate("created_at EXISTS") == .exists)
        #expect(predicate(#"attributes.arch = "amd64""#) == .compare(.equal, .string("amd64")))
        #expect(predicate("attributes.size > 5") == .compare(.greater, .number(5)))
        #expect(predicate("attributes.ratio <= 0.5") == .compare(.lessOrEqual, .number(0.5)))
        #expect(predicate("attributes.essential = true") == .compare(.equal, .bool(true)))
        #expect(predicate("attributes.size IN [1, 2.5]") == .in([.number(1), .number(2.5)]))
        #expect(predicate(#"attributes.priority "a" TO "m""#) == .range(.string("a"), .string("m")))
    }

    @Test func typedTreeKeepsShapeAndTypes() throws {
        let typed = try FilterSchema.products.parse(#"brand = "A" AND (price < 10 OR NOT in_stock = true)"#)
        let expected: TypedFilter = .and([
            .condition(TypedCondition(field: "brand", type: .keyword, predicate: .compare(.equal, .string("A")))),
            .or([
                .condition(TypedCondition(field: "price", type: .integer, predicate: .compare(.less, .integer(10)))),
                .not(.condition(TypedCondition(field: "in_stock", type: .bool, predicate: .compare(.equal, .bool(true))))),
            ]),
        ])
        #expect(typed == expected)
        #expect(typed.fields == ["brand", "price", "in_stock"])
        guard case .and(let parts) = typed, case .condition(let brand) = parts[0] else { return }
        #expect(brand.position == 1)
        #expect(brand.valueKind == .string)
    }

    @Test func categoryPaths() {
        guard case .condition(let condition)? = T.typed(#"category = "main/libs""#) else {
            Issue.record("category did not check")
            return
        }
        #expect(condition.type == .categoryPath)
        #expect(condition.predicate == .compare(.equal, .categoryPath(["main", "libs"])))
        #expect(predicate(#"category IN ["main", "contrib/net"]"#) == .in([.categoryPath(["main"]), .categoryPath(["contrib", "net"])]))
        #expect(predicate(#"category != "non-free""#) == .compare(.notEqual, .categoryPath(["non-free"])))
        let bad = #"category expects a path of 1 to 8 non-empty segments separated by '/' such as "main/libs", got"#
        #expect(T.checkError(#"category = """#) == bad + #" "" at position 12"#)
        #expect(T.checkError(#"category = "a//b""#) == bad + #" "a//b" at position 12"#)
        #expect(T.checkError(#"category = "/main""#) == bad + #" "/main" at position 12"#)
        #expect(T.checkError(#"category = "main/""#) == bad + #" "main/" at position 12"#)
        #expect(T.checkError(#"category = "a/b/c/d/e/f/g/h/i""#) == bad + #" "a/b/c/d/e/f/g/h/i" at position 12"#)
        #expect(T.checkError(#"category = "a/b/c/d/e/f/g/h""#) == nil)
        #expect(T.checkError(#"category < "main""#) == "category does not support '<' at position 1 (category paths take =, !=, IN and EXISTS)")
        #expect(T.checkError(#"category "a" TO "b""#) == "category does not support ranges at position 1 (category paths take =, !=, IN and EXISTS)")
        #expect(T.checkError("category = 1") == "category expects a category path string, got a number at position 12")
    }

    @Test func categoryMatchesWholeSegmentsOfTheSubtree() throws {
        func matches(_ filter: String, _ category: [String]) throws -> Bool {
            try FilterSchema.products.parse(filter).matches { field in
                field == "category" && !category.isEmpty ? [.categoryPath(category)] : []
            }
        }
        #expect(try matches(#"category = "main/libs""#, ["main", "libs"]))
        #expect(try matches(#"category = "main/libs""#, ["main", "libs", "ssl"]))
        #expect(try matches(#"category = "main""#, ["main", "libs"]))
        #expect(try !matches(#"category = "main/lib""#, ["main", "libs"]))
        #expect(try !matches(#"category = "main/libs""#, ["main"]))
        #expect(try !matches(#"category = "main/libs""#, ["contrib", "main", "libs"]))
        #expect(try matches(#"category != "contrib""#, ["main", "libs"]))
        #expect(try !matches(#"category != "main""#, ["main", "libs"]))
        // A record without a category: conditions are false, NOT negates that.
        #expect(try !matches(#"category != "main""#, []))
        #expect(try matches(#"NOT category = "main""#, []))
        #expect(try !matches("category EXISTS", []))
        #expect(try matches(#"category IN ["x", "main/libs"]"#, ["main", "libs", "ssl"]))
    }

    @Test func evaluationOfListsAndMissingFields() throws {
        let record: [String: [TypedValue]] = [
            "tags": [.string("a"), .string("b")],
            "price": [.integer(742)],
            "attributes.size": [.integer(3)],
            "attributes.arch": [.string("amd64")],
        ]
        func matches(_ filter: String) throws -> Bool {
            try FilterSchema.products.parse(filter).matches { record[$0] ?? [] }
        }
        #expect(try matches(#"tags = "a""#))
        #expect(try matches(#"tags = "b" AND tags = "a""#))
        #expect(try !matches(#"tags = "c""#))
        #expect(try matches(#"tags != "c""#))
        #expect(try !matches(#"tags != "a""#))
        #expect(try matches(#"tags IN ["x", "b"]"#))
        #expect(try matches("price 700 TO 742"))
        #expect(try !matches("price < 742"))
        #expect(try matches("price <= 742 AND price >= 742.0"))
        #expect(try matches("attributes.size = 3 AND attributes.size > 2.5"))
        #expect(try !matches("attributes.arch > 1"))
        #expect(try !matches("attributes.arch != 1"))
        #expect(try matches(#"attributes.arch != "i386""#))
        #expect(try !matches(#"brand = "X""#))
        #expect(try !matches(#"brand != "X""#))
        #expect(try matches(#"NOT brand = "X""#))
        #expect(try matches("attributes.size EXISTS AND NOT brand EXISTS"))
        #expect(try matches(#"brand = "X" OR in_stock = true OR price = 742"#))
    }

    @Test func typeMismatches() {
        #expect(T.checkError(#"price = "abc""#) == "price expects a number, got a string at position 9")
        #expect(T.checkError("price = true") == "price expects a number, got a boolean at position 9")
        #expect(T.checkError("price = 10.5") == "price expects an integer, got 10.5 at position 9")
        #expect(T.checkError("price = 1e30") == "price value 1e+30 at position 9 is out of range")
        #expect(T.checkError(#"price IN [1, "2"]"#) == "price expects a number, got a string at position 14")
        #expect(T.checkError("price 1 TO 2.5") == "price expects an integer, got 2.5 at position 12")
        #expect(T.checkError("brand = 5") == "brand expects a string, got a number at position 9")
        #expect(T.checkError("tags = false") == "tags expects a string, got a boolean at position 8")
        #expect(T.checkError("in_stock = 1") == "in_stock expects true or false, got a number at position 12")
        #expect(T.checkError(#"in_stock = "true""#) == "in_stock expects true or false, got a string at position 12")
        #expect(T.checkError("created_at > 5") == "created_at expects an RFC 3339 time string, got a number at position 14")
        #expect(T.checkError(#"created_at > "yesterday""#)
            == #"created_at expects an RFC 3339 time such as "2024-01-02T03:04:05Z", got "yesterday" at position 14"#)
        #expect(T.checkError(#"created_at "2024-01-01T00:00:00Z" TO 5"#)
            == "created_at expects an RFC 3339 time string, got a number at position 38")
    }

    @Test func operatorsAndRangesByType() {
        #expect(T.checkError("in_stock < true") == "in_stock does not support '<' at position 1 (true/false fields take =, !=, IN and EXISTS)")
        #expect(T.checkError("in_stock >= false") == "in_stock does not support '>=' at position 1 (true/false fields take =, !=, IN and EXISTS)")
        #expect(T.checkError("in_stock false TO true") == "in_stock does not support ranges at position 1 (true/false fields take =, !=, IN and EXISTS)")
        #expect(T.checkError("in_stock IN [true, false]") == nil)
        #expect(T.checkError(#"tags > "a""#) == "tags does not support '>' at position 1 (list fields take =, !=, IN and EXISTS)")
        #expect(T.checkError("attributes.essential < true") == "attributes.essential does not support '<' at position 1 (true/false values take =, !=, IN and EXISTS)")
        #expect(T.checkError("attributes.essential false TO true") == "attributes.essential does not support ranges at position 1 (true/false values take =, !=, IN and EXISTS)")
        #expect(T.checkError(#"attributes.x IN [1, "a"]"#) == "IN list of attributes.x mixes a number and a string at position 21; the values must be of one type")
        #expect(T.checkError(#"attributes.x IN [true, 1]"#) == "IN list of attributes.x mixes a boolean and a number at position 24; the values must be of one type")
        #expect(T.checkError(#"attributes.x 1 TO "z""#) == "range of attributes.x mixes a number and a string at position 19; both ends must be of one type")
        #expect(T.checkError("price 20 TO 10") == "empty range at position 7: 20 is greater than 10")
        #expect(T.checkError(#"brand "b" TO "a""#) == #"empty range at position 7: "b" is greater than "a""#)
        #expect(T.checkError(#"created_at "2024-01-02T00:00:00Z" TO "2024-01-01T00:00:00Z""#)?.hasPrefix("empty range at position 12") == true)
        #expect(T.checkError("price 10 TO 10") == nil)
    }

    @Test func unknownFields() {
        let productFields = "attributes.<name>, brand, category, created_at, currency, id, in_stock, price, tags, updated_at"
        #expect(T.checkError(#"colour = "red""#) == "unknown field 'colour' at position 1; fields are: \(productFields)")
        #expect(T.checkError(#"in_stock = true AND Brand = "A""#) == "unknown field 'Brand' at position 21; fields are: \(productFields)")
        #expect(T.checkError("attributes = 1")?.hasPrefix("unknown field 'attributes' at position 1") == true)
        #expect(T.checkError(#"title = "x""#)?.hasPrefix("unknown field 'title'") == true)
        #expect(T.checkError(#"occurred_at > "2024-01-01T00:00:00Z""#)?.hasPrefix("unknown field 'occurred_at'") == true)
        #expect(T.checkError("price > 1", .events)
            == "unknown field 'price' at position 1; fields are: actor, attributes.<name>, entity.id, entity.type, id, occurred_at, severity, source, type")
        #expect(T.checkError(#"entity = "x""#, .events)?.hasPrefix("unknown field 'entity'") == true)
    }

    @Test func eventFields() throws {
        let typed = try FilterSchema.events.parse(
            #"source = "apple/swift-nio" AND entity.type = "repository" AND occurred_at >= "2024-01-01T00:00:00Z" AND severity IN ["warn", "error"] AND attributes.insertions > 10 AND attributes.ci.status = "ok""#
        )
        guard case .and(let parts) = typed else {
            Issue.record("expected an AND")
            return
        }
        let types = parts.compactMap { part -> FilterFieldType? in
            if case .condition(let c) = part { c.type } else { nil }
        }
        #expect(types == [.keyword, .keyword, .time, .keyword, .dynamic, .dynamic])
        #expect(T.checkError(#"type = "commit" AND actor != "bot" AND id EXISTS AND entity.id = "x""#, .events) == nil)
        #expect(T.checkError("occurred_at = 1", .events) == "occurred_at expects an RFC 3339 time string, got a number at position 15")
        #expect(T.checkError("severity = 1", .events) == "severity expects a string, got a number at position 12")
    }

    @Test func customSchema() {
        let schema = FilterSchema(name: "test", fields: ["n": .integer, "a.b": .keyword], dynamicPrefixes: ["meta"])
        #expect(schema.fieldType(of: "n") == .integer)
        #expect(schema.fieldType(of: "a.b") == .keyword)
        #expect(schema.fieldType(of: "meta.x.y") == .dynamic)
        #expect(schema.fieldType(of: "meta") == nil)
        #expect(schema.fieldType(of: "metax.y") == nil)
        #expect(schema.fieldType(of: "a") == nil)
    }
}

@Suite struct FilterFacetTests {
    func split(_ filter: String, _ field: String) throws -> FacetFilterSplit<FilterExpression> {
        try FilterParser.parse(filter).facetSplit(for: field)
    }

    @Test func removesTheFieldsOwnConditions() throws {
        let result = try split(#"brand = "A" AND price < 10"#, "brand")
        #expect(result.isDisjunctive)
        #expect(result.removed == [FilterTest.cond("brand", .equal, .string("A"))])
        #expect(result.mixed.isEmpty)
        #expect(result.remainder == FilterTest.cond("price", .less, .integer(10)))
        // The other facet sees brand's condition.
        #expect(try split(#"brand = "A" AND price < 10"#, "price").remainder == FilterTest.cond("brand", .equal, .string("A")))
    }

    @Test func groupsOnlyOnTheFieldAreRemovable() throws {
        let result = try split(#"(brand = "A" OR brand = "B") AND in_stock = true AND NOT brand = "C" AND price < 10"#, "brand")
        #expect(result.removed.count == 2)
        #expect(result.remainder == FilterExpression.and([FilterTest.cond("in_stock", .equal, .bool(true)), FilterTest.cond("price", .less, .integer(10))]))
        #expect(try split(#"brand IN ["A", "B"]"#, "brand").remainder == nil)
    }

    @Test func mixedPartsStay() throws {
        let text = #"brand = "A" OR price < 10"#
        let result = try split(text, "brand")
        #expect(!result.isDisjunctive)
        #expect(result.mixed == [try FilterParser.parse(text)])
        #expect(result.remainder == (try FilterParser.parse(text)))

        let partly = try split(#"brand = "B" AND (brand = "A" OR price < 10) AND in_stock = true"#, "brand")
        #expect(partly.isDisjunctive)
        #expect(partly.removed == [FilterTest.cond("brand", .equal, .string("B"))])
        #expect(partly.mixed.count == 1)
        #expect(partly.remainder.map(FilterPrinter.print) == #"(brand = "A" OR price < 10) AND in_stock = true"#)

        let negated = try split(#"NOT (brand = "A" AND in_stock = true)"#, "brand")
        #expect(!negated.isDisjunctive && negated.mixed.count == 1)
    }

    @Test func untouchedWhenTheFieldIsAbsent() throws {
        let text = "(price < 10 AND price > 1) AND in_stock = true"
        let result = try split(text, "brand")
        #expect(!result.isDisjunctive)
        #expect(result.remainder == (try FilterParser.parse(text)))
    }

    @Test func nestedTopLevelAndsAreFlattened() throws {
        let tree = try FilterParser.parse(#"(brand = "A" AND price < 10) AND in_stock = true"#)
        #expect(tree.conjuncts.count == 3)
        let result = tree.facetSplit(for: "brand")
        #expect(result.remainder.map(FilterPrinter.print) == "price < 10 AND in_stock = true")
    }

    @Test func worksOnTypedFilters() throws {
        let typed = try FilterSchema.products.parse(#"category = "main" AND tags = "x" AND price < 10"#)
        #expect(typed.conjuncts.count == 3)
        let result = typed.facetSplit(for: "category")
        #expect(result.isDisjunctive)
        #expect(result.remainder?.fields == ["tags", "price"])
        #expect(typed.facetSplit(for: "currency").remainder == typed)
    }
}
