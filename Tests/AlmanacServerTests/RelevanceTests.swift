import AlmanacCore
import Foundation
import Testing
import HTTPTypes

/// One product line for `_bulk`.
func productLine(_ id: String, _ title: String, description: String? = nil, attributes: String? = nil) -> String {
    var o = JSONObject()
    o["id"] = .string(id)
    o["title"] = .string(title)
    if let description { o["description"] = .string(description) }
    var line = JSONWriter.string(.object(o))
    if let attributes { line = String(line.dropLast()) + #","attributes":"# + attributes + "}" }
    return line
}

extension TestApp {
    /// A fresh tenant holding `lines` (indexed), and its token.
    func catalogue(_ lines: [String], hint: String = "rel") async throws -> String {
        let token = try await self.token(tenant: TestApp.tenant(hint))
        let reply = try await bulk("/v1/products/_bulk", lines.joined(separator: "\n") + "\n", token: token)
        #expect(reply["accepted"]?.integerValue == Int64(lines.count), "\(reply.text)")
        return token
    }
}

func encoded(_ q: String) -> String { q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }

/// The ranking rules of docs/relevance.md, one test each, through `GET /v1/products/search`.
@Suite struct RelevanceTests {
    // MARK: Typo tolerance

    /// Nine rare words one edit from "libent" sort before "libnet" alphabetically; only
    /// document frequencies keep the common `libnet` among the candidates.
    static let libnet: [String] =
        (1...3).map { productLine("libnet-perl-\($0)", "libnet perl module \($0)", description: "Networking with libnet.") }
        + ["a", "b", "c", "d", "f", "g", "h", "i", "j"].map { productLine("rare-\($0)", "lib\($0)nt rare thing") }

    @Test func typoCandidatesAreChosenByDocumentFrequency() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.catalogue(Self.libnet)
            let reply = await app.search("q=libent+perl", token: token)
            #expect(reply.hitIDs.first?.hasPrefix("libnet-perl") == true, "\(reply.hitIDs)")
            #expect(reply.at("query.corrected") == "libnet perl")
        }
    }

    /// The same after a restart: the vocabulary is seeded from the index with its
    /// frequencies (Catalogue.open), not with every word at 1.
    @Test func typoFrequenciesSurviveARestart() async throws {
        let dir = TestApp.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tenant = TestApp.tenant("restart")
        try await TestApp.run(redis: .none, directory: dir) { app in
            let token = try await app.token(tenant: tenant)
            try await app.bulk("/v1/products/_bulk", Self.libnet.joined(separator: "\n") + "\n", token: token)
        }
        try await TestApp.run(redis: .none, directory: dir) { app in
            let token = try await app.token(tenant: tenant)
            let reply = await app.search("q=libent+perl", token: token)
            #expect(reply.hitIDs.first?.hasPrefix("libnet-perl") == true, "\(reply.hitIDs)")
        }
    }

    /// "kollisoin" is one edit from "kollision" and two from "collision": the one-edit
    /// correction ranks first (though the collision pages are shorter) and names the
    /// correction.
    @Test func nearerCorrectionsRankFirst() async throws {
        try await TestApp.run(redis: .none) { app in
            let long = String(repeating: "Many more words about the test case here. ", count: 8)
            let token = try await app.catalogue(
                (1...4).map { productLine("crash-\($0)", "Collision") }
                    + [productLine("kollision-de", "Kollision", description: "A German word. " + long)])
            let reply = await app.search("q=kollisoin", token: token)
            #expect(reply.hitIDs.first == "kollision-de", "\(reply.hitIDs)")
            #expect(reply.at("query.corrected") == "kollision")
            // Exact beats one edit.
            #expect(await app.search("q=collision&limit=4", token: token).hitIDs.allSatisfy { $0.hasPrefix("crash-") })
        }
    }

    // MARK: Exactness

    /// The issue's cases: a sibling whose title repeats the name, with a shorter
    /// description, used to win; the named product comes first now, also typed with its
    /// words, with a typo, or with its hyphen.
    static let siblings: [String] = [
        productLine(
            "rafkill", "rafkill vertical shoot'em-up similar to Raptor: Call of the Shadows",
            description: String(repeating: "Fly a ship through waves of enemies and bosses, collecting weapons. ", count: 6)),
        productLine("rafkill-data", "rafkill-data graphics and audio data for rafkill", description: "Data files for rafkill."),
        productLine(
            "gimp", "gimp GNU Image Manipulation Program",
            description: String(repeating: "An image editor for photo retouching, composition and authoring. ", count: 6)),
    ] + ["de", "en", "fr", "es", "it"].map {
        productLine("gimp-help-\($0)", "gimp-help-\($0) Documentation for the GIMP (\($0))", description: "Help for gimp in \($0): gimp gimp.")
    } + (1...6).map { productLine("filler-\($0)", "Another package \($0)", description: "Nothing to see.") }

    @Test func aQueryNamingAProductRanksItFirst() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.catalogue(Self.siblings)
            #expect(await app.search("q=rafkill", token: token).hitIDs.first == "rafkill")
            #expect(await app.search("q=gimp", token: token).hitIDs.first == "gimp")
            #expect(await app.search("q=gimp+help+fr", token: token).hitIDs.first == "gimp-help-fr")
            #expect(await app.search("q=rafkill+data", token: token).hitIDs.first == "rafkill-data")
            #expect(await app.search("q=rafkill-data", token: token).hitIDs.first == "rafkill-data")
            #expect(await app.search("q=RafKill", token: token).hitIDs.first == "rafkill")
            // Typo tolerance and prefix matching stay on: a corrected name counts too.
            let typo = await app.search("q=rafkil", token: token)
            #expect(typo.hitIDs.first == "rafkill")
            #expect(typo.at("query.corrected") == "rafkill")
            let typoData = await app.search("q=rafkil+data", token: token)
            #expect(typoData.hitIDs.first == "rafkill-data")
            #expect(typoData.at("query.corrected") == "rafkill data")
            #expect(await app.search("q=gimp+hel", token: token).hitIDs.count == 5)
        }
    }

    // MARK: Fields

    /// Both words in the title beats one in the title and the other many times in the
    /// description (BM25F alone prefers the latter here).
    @Test func everyQueryWordInTheTitleEarnsABonus() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.catalogue(
                [
                    productLine("b-lamp", "Lamp", description: String(repeating: "Brass, polished brass. ", count: 5)),
                    productLine("a-lamp", "Brass table lamp", description: "Looks good anywhere."),
                ] + (1...8).map { productLine("filler-\($0)", "Another package \($0)") })
            #expect(await app.search("q=brass+lamp&typo=false", token: token).hitIDs == ["a-lamp", "b-lamp"])
        }
    }

    /// A short title match beats the same word in a long title, and a long description
    /// does not dilute a title match (each field normalised by its own length).
    @Test func eachFieldIsNormalisedByItsOwnLength() async throws {
        try await TestApp.run(redis: .none) { app in
            let long = String(repeating: "Plenty of unrelated text about other things entirely. ", count: 20)
            let token = try await app.catalogue(
                [
                    productLine("a-long-title", "Kettle with a whistle, a lid, a handle and a spout", description: "Boils."),
                    productLine("b-short-title", "Kettle", description: long),
                    productLine("c-description", "Teapot", description: "A kettle-shaped teapot."),
                ] + (1...8).map { productLine("filler-\($0)", "Another package \($0)") })
            #expect(await app.search("q=kettle&typo=false", token: token).hitIDs == ["b-short-title", "a-long-title", "c-description"])
        }
    }

    /// Two titles of the same length with both words; the one where they are adjacent, as
    /// in the query, ranks first (without the rule the id order would put `a-` first).
    @Test func adjacentQueryWordsEarnAProximityBonus() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.catalogue(
                [
                    productLine("a-apart", "Server for web pages"),
                    productLine("b-adjacent", "Fast web server tool"),
                ] + (1...8).map { productLine("filler-\($0)", "Another package \($0)") })
            #expect(await app.search("q=web+server&typo=false", token: token).hitIDs == ["b-adjacent", "a-apart"])
        }
    }

    // MARK: Synonyms

    /// `"webserver": ["web server"]` matches the phrase, not "web" alone, and the words
    /// typed together find the word.
    @Test func multiWordSynonymsMatchAsPhrasesBothWays() async throws {
        try await withCatalogue(redis: .none) { app, token in
            let lines = [
                productLine("nginx", "nginx small, powerful, scalable web/proxy server", description: "A real web server."),
                productLine("browser", "A web browser", description: "Shows pages from a server near you."),
                productLine("lighttpd", "lighttpd fast webserver with minimal memory footprint"),
                productLine("boiler-tank", "Boiler tank"),
            ]
            try await app.bulk("/v1/products/_bulk", lines.joined(separator: "\n") + "\n", token: token)
            let put = try await app.request(.put, "/v1/settings", token: token, json: #"{"synonyms":{"webserver":["web server"]}}"#)
            #expect(put.status == 200)
            #expect(Set(await app.search("q=webserver&typo=false", token: token).hitIDs) == ["nginx", "lighttpd"])
            let words = await app.search("q=web+server&typo=false", token: token).hitIDs
            #expect(Set(words) == ["nginx", "lighttpd", "browser"])
            #expect(words.firstIndex(of: "nginx")! < words.firstIndex(of: "browser")!)
            #expect(Set(await app.search("q=%22web+server%22&typo=false", token: token).hitIDs) == ["nginx", "lighttpd"])
            // Single-word synonyms as before: one direction.
            let single = try await app.request(.put, "/v1/settings", token: token, json: #"{"synonyms":{"boiler":["kettle"]}}"#)
            #expect(single.status == 200)
            #expect(Set(await app.search("q=boiler&typo=false", token: token).hitIDs).isSuperset(of: ["kettle-steel", "boiler-tank"]))
            #expect(!(await app.search("q=kettle&typo=false", token: token).hitIDs.contains("boiler-tank")))
        }
    }

    // MARK: Totals

    /// 10 050 matches: a text query past 10 000 answers "gte" 10 000, exact on request;
    /// 5 025 matches of two words are counted exactly (Xapian's bounds alone are not);
    /// `limit=0` answers the total and the facets without hits.
    @Test func totalsAreExactUpTo10000() async throws {
        try await TestApp.run(redis: .none) { app in
            let lines = (0..<10_050).map { n in
                #"{"id":"w\#(n)","title":"Widget \#(n) common \#(n % 2 == 0 ? "even" : "odd") part","brand":"\#(n % 3 == 0 ? "Acme" : "Brio")"}"#
            }
            let token = try await app.catalogue(lines, hint: "totals")
            let many = await app.search("q=common&limit=5", token: token)
            #expect(many.at("total") == ["value": 10_000, "relation": "gte"])
            #expect(many.hitIDs.count == 5)
            #expect(await app.search("q=common&limit=5&exact_total=true", token: token).at("total") == ["value": 10_050, "relation": "eq"])
            // Facet counts stay exact past the bound.
            let faceted = await app.search("q=common&limit=1&facets=brand", token: token)
            #expect(faceted.at("total") == ["value": 10_000, "relation": "gte"])
            #expect(faceted.at("facets.brand") == [["value": "Brio", "count": 6700], ["value": "Acme", "count": 3350]])
            #expect(await app.search("q=common+even&typo=false", token: token).at("total") == ["value": 5_025, "relation": "eq"])
            #expect(await app.search("q=odd+part", token: token).at("total") == ["value": 5_025, "relation": "eq"])
            let none = await app.search("q=common+even&limit=0&facets=brand", token: token)
            #expect(none.hitIDs.isEmpty)
            #expect(none.at("total") == ["value": 5_025, "relation": "eq"])
            #expect(none.at("facets.brand") == [["value": "Brio", "count": 3350], ["value": "Acme", "count": 1675]])
            #expect(none.at("page.next_cursor") == .null)
            #expect(await app.search("limit=0", token: token).at("total") == ["value": 10_050, "relation": "eq"])
        }
    }

    // MARK: Tie-break

    /// `settings.ranking.tie_break` orders hits whose text scores tie (three identical
    /// titles) by popularity, products without it last; a clearly better text match stays
    /// first however unpopular; other sorts and `null` leave it out.
    @Test func aTenantTieBreakOrdersHitsWhoseScoresTie() async throws {
        try await TestApp.run(redis: .none) { app in
            let token = try await app.catalogue(
                [
                    productLine("a-kettle", "Kettle", attributes: #"{"popularity":1}"#),
                    productLine("b-blue", "Blue steel kettle", attributes: #"{"popularity":10}"#),
                    productLine("c-blue", "Blue steel kettle", attributes: #"{"popularity":30}"#),
                    productLine("d-blue", "Blue steel kettle"),
                    productLine("e-blue", "Blue steel kettle", attributes: #"{"popularity":20.5}"#),
                ] + (1...8).map { productLine("filler-\($0)", "Another package \($0)") }, hint: "tie")
            let textOrder = ["a-kettle", "b-blue", "c-blue", "d-blue", "e-blue"]
            #expect(await app.search("q=kettle&typo=false", token: token).hitIDs == textOrder)
            let put = try await app.request(
                .put, "/v1/settings", token: token, json: #"{"ranking":{"tie_break":"attributes.popularity:desc"}}"#)
            #expect(put.status == 200, "\(put.text)")
            #expect(put.at("ranking.tie_break") == "attributes.popularity:desc")
            #expect(try await app.get("/v1/settings", token: token).at("ranking.tie_break") == "attributes.popularity:desc")
            #expect(await app.search("q=kettle&typo=false", token: token).hitIDs == ["a-kettle", "c-blue", "e-blue", "b-blue", "d-blue"])
            // Pages continue the same order.
            let first = await app.search("q=kettle&typo=false&limit=2", token: token)
            let cursor = try #require(first.at("page.next_cursor")?.stringValue)
            #expect(await app.search("q=kettle&typo=false&limit=2&cursor=\(encoded(cursor))", token: token).hitIDs == ["e-blue", "b-blue"])
            #expect(await app.search("q=kettle&typo=false&limit=2&offset=3", token: token).hitIDs == ["b-blue", "d-blue"])
            #expect(await app.search("q=kettle&typo=false&limit=0", token: token).at("total.value") == 5)
            let asc = try await app.request(.put, "/v1/settings", token: token, json: #"{"ranking":{"tie_break":"attributes.popularity:asc"}}"#)
            #expect(asc.status == 200)
            #expect(await app.search("q=kettle&typo=false", token: token).hitIDs == ["a-kettle", "b-blue", "e-blue", "c-blue", "d-blue"])
            // Not with another sort first, and gone with null.
            #expect(
                await app.search("q=kettle&typo=false&sort=title,_score", token: token).hitIDs
                    == ["b-blue", "c-blue", "d-blue", "e-blue", "a-kettle"])
            let off = try await app.request(.put, "/v1/settings", token: token, json: #"{"ranking":null}"#)
            #expect(off.status == 200)
            #expect(off.at("ranking") == .null)
            #expect(await app.search("q=kettle&typo=false", token: token).hitIDs == textOrder)
            let bad = try await app.request(.put, "/v1/settings", token: token, json: #"{"ranking":{"tie_break":"price"}}"#)
            #expect(bad.isProblem(400, mentioning: "tie_break"))
        }
    }
}
