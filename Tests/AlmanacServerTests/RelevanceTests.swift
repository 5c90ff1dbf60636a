import AlmanacCore
import Foundation
import Testing

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
}
