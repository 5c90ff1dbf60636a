import Foundation
import Testing
import HTTPTypes
import AlmanacCore

/// A small hand-made catalogue where every expectation can be checked by eye.
let miniCatalogue = """
    {"id":"kettle-steel","title":"Steel kettle","description":"A stainless kettle that boils water.","brand":"Acme","category":["home","kitchen"],"price":2999,"currency":"EUR","in_stock":true,"tags":["kitchen","steel"],"attributes":{"colour":"silver","litres":1.7}}
    {"id":"kettle-glass","title":"Glass kettle with light","description":"Watch the water boil.","brand":"Brio","category":["home","kitchen"],"price":3999,"currency":"EUR","in_stock":true,"tags":["kitchen","glass"],"attributes":{"colour":"clear","litres":1.5}}
    {"id":"settle-bench","title":"Settle bench","description":"A wooden settle for the hall.","brand":"Acme","category":["home","furniture"],"price":19900,"currency":"EUR","in_stock":false,"tags":["wood"],"attributes":{"colour":"oak"}}
    {"id":"toaster","title":"Toaster","description":"Two slots. Pairs well with a kettle.","brand":"Acme","category":["home","kitchen","small"],"price":2499,"currency":"EUR","in_stock":true,"tags":["kitchen"]}
    {"id":"sku123","title":"Widget sku123","description":"Part sku123.","brand":"Parts Co","category":["parts"],"price":100,"currency":"USD","in_stock":true}
    {"id":"sku124","title":"Widget sku124","description":"Part sku124.","brand":"Parts Co","category":["parts"],"price":100,"currency":"USD","in_stock":true}
    {"id":"mainlib","title":"Library main","brand":"Deb","category":["main","lib"],"price":10,"currency":"EUR"}
    {"id":"mainlibs","title":"Libraries main","brand":"Deb","category":["main","libs"],"price":20,"currency":"EUR"}

    """

func withCatalogue(redis: RedisMode = .none, _ body: @Sendable (TestApp, String) async throws -> Void) async throws {
    try await TestApp.run(redis: redis) { app in
        let token = try await app.token(tenant: TestApp.tenant("cat"))
        let reply = try await app.bulk("/v1/products/_bulk", miniCatalogue, token: token)
        #expect(reply["accepted"] == 8)
        try await body(app, token)
    }
}

extension TestApp {
    /// A catalogue search that must answer 200 (records an issue otherwise).
    func search(_ query: String, token: String) async -> Reply {
        do {
            let reply = try await get("/v1/products/search?" + query, token: token)
            #expect(reply.status == 200, "search \(query): \(reply.text)")
            return reply
        } catch {
            Issue.record("search \(query) failed: \(error)")
            return Reply(status: 0, headers: [:], bytes: [])
        }
    }
}

@Suite struct CatalogueSearchTests {
    @Test func fullTextStemmingPhrasesAndOperators() async throws {
        try await withCatalogue { app, token in
            #expect(await app.search("q=kettles", token: token).hitIDs.contains("kettle-steel"))
            #expect(Set(await app.search("q=kettle+-glass&typo=false", token: token).hitIDs) == ["kettle-steel", "toaster"])
            #expect(await app.search("q=%22boils+water%22", token: token).hitIDs == ["kettle-steel"])
            #expect(Set(await app.search("q=toaster+OR+bench&typo=false", token: token).hitIDs) == ["toaster", "settle-bench"])
            #expect(await app.search("q=title:toaster", token: token).hitIDs == ["toaster"])
            #expect(await app.search("q=title:kettle+brand:brio", token: token).hitIDs == ["kettle-glass"])
            #expect(await app.search("q=kettle+NOT+steel&typo=false", token: token).hitIDs.contains("kettle-steel") == false)
        }
    }

    @Test func titleMatchesRankAboveDescriptionMatches() async throws {
        try await withCatalogue { app, token in
            let ids = await app.search("q=kettle&typo=false", token: token).hitIDs
            // The toaster mentions a kettle only in its description.
            #expect(ids.last == "toaster")
            #expect(Set(ids.prefix(2)) == ["kettle-steel", "kettle-glass"])
        }
    }

    @Test func searchAsYouTypeMatchesTheLastWordAsAPrefix() async throws {
        try await withCatalogue { app, token in
            #expect(await app.search("q=toas", token: token).hitIDs == ["toaster"])
            #expect(Set(await app.search("q=glass+ket", token: token).hitIDs) == ["kettle-glass"])
            // A trailing space ends the word: no prefix expansion.
            #expect(await app.search("q=toas+", token: token).hitIDs.isEmpty)
        }
    }

    @Test func typoToleranceCorrectsWordsButNotSKUs() async throws {
        try await withCatalogue { app, token in
            let typo = await app.search("q=kettel", token: token)
            #expect(typo.hitIDs.contains("kettle-steel"))
            #expect(typo.at("query.corrected") == "kettle")
            #expect(await app.search("q=kettel&typo=false", token: token).hitIDs.isEmpty)
            let sku = await app.search("q=sku123", token: token)
            #expect(sku.hitIDs == ["sku123"])
            // Exact matches rank first: "settle" is one edit from "kettle".
            let exact = await app.search("q=kettle", token: token).hitIDs
            if let settle = exact.firstIndex(of: "settle-bench") {
                #expect(settle > exact.firstIndex(of: "kettle-steel")!)
            }
            // Short words never take typos.
            #expect(await app.search("q=tost", token: token).hitIDs.isEmpty)
        }
    }

    @Test func filtersOfEveryKind() async throws {
        try await withCatalogue { app, token in
            func ids(_ filter: String) async -> Set<String> {
                let encoded = filter.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                return Set(await app.search("filter=\(encoded)&limit=100", token: token).hitIDs)
            }
            #expect(await ids(#"brand = "Acme""#) == ["kettle-steel", "settle-bench", "toaster"])
            #expect(await ids(#"brand != "Acme" AND currency = "EUR""#) == ["kettle-glass", "mainlib", "mainlibs"])
            #expect(await ids("price < 2500") == ["toaster", "sku123", "sku124", "mainlib", "mainlibs"])
            #expect(await ids("price 2499 TO 2999") == ["toaster", "kettle-steel"])
            #expect(await ids("price > 2999 AND in_stock = true") == ["kettle-glass"])
            #expect(await ids(#"category = "home/kitchen""#) == ["kettle-steel", "kettle-glass", "toaster"])
            #expect(await ids(#"category = "main/lib""#) == ["mainlib"])
            #expect(await ids(#"tags IN ["glass", "wood"]"#) == ["kettle-glass", "settle-bench"])
            #expect(await ids(#"attributes.colour = "oak""#) == ["settle-bench"])
            #expect(await ids("attributes.litres >= 1.6") == ["kettle-steel"])
            #expect(await ids("attributes.litres EXISTS") == ["kettle-steel", "kettle-glass"])
            #expect(await ids("NOT tags EXISTS") == ["sku123", "sku124", "mainlib", "mainlibs"])
            #expect(await ids(#"(brand = "Deb" OR brand = "Brio") AND NOT price > 15"#) == ["mainlib"])
            #expect(await ids(#"id = "toaster""#) == ["toaster"])
        }
    }

    @Test func facetsAreExactAndDisjunctive() async throws {
        try await withCatalogue { app, token in
            let plain = await app.search("facets=brand,category,tags,in_stock&price_ranges=0:1000,1000:5000,5000:", token: token)
            #expect(plain.at("facets.brand") == [["value": "Acme", "count": 3], ["value": "Deb", "count": 2], ["value": "Parts Co", "count": 2], ["value": "Brio", "count": 1]])
            #expect(plain.at("facets.tags.0") == ["value": "kitchen", "count": 3])
            #expect(plain.at("facets.in_stock") == [["value": true, "count": 5], ["value": false, "count": 1]])
            #expect(plain.at("facets.price") == [
                ["from": 0, "to": 1000, "count": 4], ["from": 1000, "to": 5000, "count": 3], ["from": 5000, "to": nil, "count": 1],
            ])
            // Brand picked: brand counts ignore the brand condition, other facets honour it.
            let picked = await app.search("filter=brand+%3D+%22Acme%22&facets=brand,tags", token: token)
            #expect(picked.at("total.value") == 3)
            #expect(picked.at("facets.brand.0") == ["value": "Acme", "count": 3])
            #expect(picked.at("facets.brand")?.arrayValue?.count == 4)
            #expect(picked.at("facets.tags") == [["value": "kitchen", "count": 2], ["value": "steel", "count": 1], ["value": "wood", "count": 1]])
            let limited = await app.search("facets=brand&facet_limit=1", token: token)
            #expect(limited.at("facets.brand")?.arrayValue?.count == 1)
            let attribute = await app.search("facets=attributes.colour", token: token)
            #expect(attribute.json["facets"]?["attributes.colour"] == [
                ["value": "clear", "count": 1], ["value": "oak", "count": 1], ["value": "silver", "count": 1],
            ])
        }
    }

    @Test func sortsByManyKeysWithIdTies() async throws {
        try await withCatalogue { app, token in
            let four = await app.search("sort=price:asc,created_at:desc,updated_at,title:desc&limit=100", token: token).hitIDs
            // Equal price and times: title:desc decides, sku124 before sku123.
            #expect(four == ["mainlib", "mainlibs", "sku124", "sku123", "toaster", "kettle-steel", "kettle-glass", "settle-bench"])
            let byTitle = await app.search("sort=title&limit=3", token: token).hitIDs
            #expect(byTitle == ["kettle-glass", "mainlibs", "mainlib"])
            let noQuery = await app.search("limit=3", token: token).hitIDs
            #expect(noQuery == ["kettle-glass", "kettle-steel", "mainlib"])
        }
    }

    @Test func productsWithoutTheSortValueComeLastEitherWay() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.token(tenant: TestApp.tenant())
            try await app.bulk("/v1/products/_bulk", """
                {"id":"a","title":"no price"}
                {"id":"b","title":"cheap","price":1}
                {"id":"c","title":"dear","price":9}

                """, token: token)
            #expect(await app.search("sort=price", token: token).hitIDs == ["b", "c", "a"])
            #expect(await app.search("sort=price:desc", token: token).hitIDs == ["c", "b", "a"])
            #expect(await app.search("q=price+OR+cheap+OR+dear&sort=price,_score", token: token).hitIDs == ["b", "c", "a"])
        }
    }

    @Test func highlightsMatchesEscaped() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.token(tenant: TestApp.tenant())
            try await app.putProduct("h1", #"{"title":"Kettles & <b>pots</b>","description":"\#(String(repeating: "Filler words here. ", count: 40))The kettle boils.\#(String(repeating: " More filler text.", count: 40))"}"#, token: token)
            let reply = await app.search("q=kettle&highlight=true", token: token)
            #expect(reply.at("hits.0.highlight.title") == "<mark>Kettles</mark> &amp; &lt;b&gt;pots&lt;/b&gt;")
            let description = reply.at("hits.0.highlight.description")?.stringValue ?? ""
            #expect(description.contains("<mark>kettle</mark>"))
            #expect(description.hasPrefix("…"))
            #expect(description.count < 400)
        }
    }

    @Test func cursorWalkSeesEveryDocumentOnceWhileWritesHappen() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.token(tenant: TestApp.tenant())
            let lines = try Fixtures.lines("products_2k.ndjson", count: 500)
            try await app.bulk("/v1/products/_bulk", lines, token: token)
            var seen: [String] = []
            var cursor: String?
            var page = 0
            repeat {
                let q = "sort=price:desc,title&limit=37" + (cursor.map { "&cursor=\($0)" } ?? "")
                let reply = await app.search(q, token: token)
                seen += reply.hitIDs
                cursor = reply.at("page.next_cursor")?.stringValue
                page += 1
                if page == 3 {
                    // A write mid-walk sorting before the cursor must not shift later pages.
                    try await app.putProduct("aaa-new", #"{"title":"zzz","price":999999999}"#, token: token)
                }
            } while cursor != nil && page < 100
            #expect(seen.count == 500)
            #expect(Set(seen).count == 500)
            #expect(!seen.contains("aaa-new"))
        }
    }

    @Test func settingsChangeSynonymsStopWordsAndLanguage() async throws {
        try await withCatalogue(redis: .shared) { app, token in
            #expect(await app.search("q=boiler&typo=false", token: token).hitIDs.isEmpty)
            let put = try await app.request(.put, "/v1/settings", token: token, json: #"{"synonyms":{"boiler":["kettle"]},"stop_words":["the"]}"#)
            #expect(put.status == 200)
            #expect(put["seq"]?.integerValue != nil)
            let get = try await app.get("/v1/settings", token: token)
            #expect(get.at("synonyms.boiler") == ["kettle"])
            #expect(get.at("typo.min_word_1") == 5)
            #expect(await app.search("q=boiler&typo=false", token: token).hitIDs.contains("kettle-steel"))
            #expect(await app.search("q=the+toaster&typo=false", token: token).hitIDs == ["toaster"])
            let bad = try await app.request(.put, "/v1/settings", token: token, json: #"{"language":"klingon"}"#)
            #expect(bad.isProblem(400, mentioning: "language"))
            let lang = try await app.request(.put, "/v1/settings?wait=true", token: token, json: #"{"language":"none"}"#)
            #expect(lang.status == 200)
        }
    }
}
