import AlmanacAuth
import AlmanacCore
import Foundation
import HTTPTypes
import Logging
import NIOPosix
import Synchronization
import Testing

@testable import AlmanacApp
@testable import AlmanacServer
import AlmanacStore

/// Per-tenant ES256 keys: sealing at rest, JWKS, rotation, retirement, restart.
@Suite("Auth: keys")
struct AuthKeyTests {
    @Test func jwksListsEveryVerifyingKeyWithItsFields() async throws {
        try await AuthHarness.run { app, _ in
            let a = TestApp.tenant("a")
            let b = TestApp.tenant("b")
            let tokenA = try await app.newClient(tenant: a).token
            let tokenB = try await app.newClient(tenant: b).token
            let reply = try await app.get("/.well-known/jwks.json", token: nil)
            #expect(reply.status == 200)
            #expect(reply.headers[.contentType] == "application/json")
            let keys = try #require(reply["keys"]?.arrayValue)
            for token in [tokenA, tokenB] {
                let kid = try #require(try Forge.header(token)["kid"]?.stringValue)
                let jwk = try #require(keys.first { $0["kid"]?.stringValue == kid }?.objectValue)
                #expect(Set(jwk.keys) == ["kid", "kty", "crv", "x", "y", "alg", "use"])
                #expect(jwk["kty"] == "EC")
                #expect(jwk["crv"] == "P-256")
                #expect(jwk["alg"] == "ES256")
                #expect(jwk["use"] == "sig")
                #expect(jwk["x"]?.stringValue.flatMap { Base64URL.decode($0) }?.count == 32)
                #expect(jwk["y"]?.stringValue.flatMap { Base64URL.decode($0) }?.count == 32)
                // The JWK is the key that verifies the token.
                let key = try JWKS.publicKey(from: jwk)
                let parts = Forge.parts(token)
                #expect(key.verify(signature: try #require(Base64URL.decode(parts[2])), message: Array((parts[0] + "." + parts[1]).utf8)))
            }
            #expect(!reply.text.contains("\"d\""))
        }
    }

    @Test func privateKeysAreSealedWithTheMasterKey() async throws {
        try await AuthHarness.run { app, _ in
            let tenant = TestApp.tenant()
            _ = try await app.newClient(tenant: tenant)
            _ = try await app.services.tokens.keyring.rotate(tenant: tenant, retireOldAfter: 960)
            let records = try await app.services.store.signingKeys().filter { $0.tenant == tenant }
            #expect(records.count == 2)
            let master = try MasterKey.read(path: app.services.configuration.dataDirectory + "/master.key")
            let current = try await app.services.tokens.keyring.exportSignerPEM(tenant: tenant)
            let currentDER = try P256PrivateKey(pem: current.pem).pkcs8DER()
            var nonces: Set<[UInt8]> = []
            for record in records {
                let box = record.sealedPrivateKey
                // version || 12-byte nonce || ciphertext || 16-byte tag, and no plaintext key inside.
                #expect(box.first == AESGCM.version)
                #expect(box.count == currentDER.count + AESGCM.overhead)
                #expect(!contains(box, currentDER))
                #expect(!contains(box, Array(currentDER.suffix(40))))
                nonces.insert(Array(box[1..<13]))
                let aad = Array("almanac-jwt-key|\(record.tenant)|\(record.kid)".utf8)
                let der = try AESGCM.open(box, key: master.bytes, aad: aad)
                let key = try P256PrivateKey(pkcs8DER: der)
                #expect(key.publicKey.x == record.publicX && key.publicKey.y == record.publicY)
                if record.kid == current.kid { #expect(der == currentDER) }
                // Bound to its tenant and kid: another label, or another master key, opens nothing.
                #expect(throws: CryptoError.self) {
                    try AESGCM.open(box, key: master.bytes, aad: Array("almanac-jwt-key|other|\(record.kid)".utf8))
                }
                #expect(throws: CryptoError.self) { try AESGCM.open(box, key: try SecureRandom.bytes(32), aad: aad) }
            }
            #expect(nonces.count == 2)
            // A fresh nonce each time: the same key sealed twice gives different boxes.
            let one = try AESGCM.seal(currentDER, key: master.bytes)
            let two = try AESGCM.seal(currentDER, key: master.bytes)
            #expect(one != two)
            #expect(Array(one[1..<13]) != Array(two[1..<13]))
        }
    }

    @Test func rotationMakesANewSignerAndOldTokensKeepWorking() async throws {
        try await AuthHarness.run { app, logs in
            let tenant = TestApp.tenant()
            let (client, admin) = try await app.newClient(tenant: tenant, scopes: [Scope.admin, Scope.catalogueRead])
            let oldKid = try #require(try Forge.header(admin)["kid"]?.stringValue)
            let rotated = try await app.request(.post, "/v1/keys/rotate", token: admin)
            #expect(rotated.status == 200, "\(rotated.text)")
            let newKid = try #require(rotated["kid"]?.stringValue)
            #expect(newKid != oldKid)
            #expect(rotated["previous_kid"] == .string(oldKid))
            #expect(rotated["previous_verifies_for_seconds"] == 960)
            #expect(rotated["tenant"] == .string(tenant))
            #expect(!logs.entries(containing: "signing key rotated").isEmpty)

            let fresh = try await app.httpToken(client)
            #expect(try Forge.header(fresh)["kid"] == .string(newKid))
            // Both verify: the old token until it expires.
            #expect(try await app.get("/v1/products/search", token: admin).status == 200)
            #expect(try await app.get("/v1/products/search", token: fresh).status == 200)
            let jwks = try await app.get("/.well-known/jwks.json", token: nil)
            let kids = Set((jwks["keys"]?.arrayValue ?? []).compactMap { $0["kid"]?.stringValue })
            #expect(kids.isSuperset(of: [oldKid, newKid]))
            #expect(app.services.tokens.keyring.kids(tenant: tenant) == [oldKid, newKid].sorted())
        }
    }

    @Test func rotationIsPerTenantAndAnOperatorMayRotateATenant() async throws {
        try await AuthHarness.run { app, _ in
            let a = TestApp.tenant("a")
            let b = TestApp.tenant("b")
            let adminA = try await app.newClient(tenant: a, scopes: [Scope.admin]).token
            let tokenB = try await app.newClient(tenant: b).token
            let kidB = app.services.tokens.keyring.signerKid(tenant: b)
            #expect(try await app.request(.post, "/v1/keys/rotate", token: adminA).status == 200)
            #expect(app.services.tokens.keyring.signerKid(tenant: b) == kidB)
            #expect(try await app.get("/v1/products/search", token: tokenB).status == 200)

            let operatorToken = try await app.newClient(tenant: TenantName.platform, scopes: [Scope.admin]).token
            let rotated = try await app.request(.post, "/v1/keys/rotate?tenant=\(b)", token: operatorToken)
            #expect(rotated.status == 200, "\(rotated.text)")
            #expect(rotated["tenant"] == .string(b))
            #expect(app.services.tokens.keyring.signerKid(tenant: b) == rotated["kid"]?.stringValue)
            #expect(try await app.get("/v1/products/search", token: tokenB).status == 200)
        }
    }

    @Test func rotateNeedsAdmin() async throws {
        try await AuthHarness.run { app, _ in
            let token = try await app.newClient(tenant: TestApp.tenant(), scopes: [Scope.catalogueRead]).token
            #expect(try await app.request(.post, "/v1/keys/rotate", token: token).isProblem(403, mentioning: "admin"))
        }
    }

    @Test func retiredKeysStopVerifyingAndAreForgotten() async throws {
        try await AuthHarness.run { app, _ in
            let store = app.services.store
            let master = try MasterKey.read(path: app.services.configuration.dataDirectory + "/master.key")
            let clock = Mutex(Timestamp(seconds: 2_000_000_000))
            let keyring = Keyring(store: store, masterKey: master, now: { clock.withLock { $0 } })
            let tenant = TestApp.tenant()
            let first = try await keyring.signer(for: tenant).kid
            let second = try await keyring.rotate(tenant: tenant, retireOldAfter: 960)
            let stored = try await store.signingKeys().first { $0.kid == first }
            #expect(stored?.isSigner == false)
            #expect(stored?.retireAfter == Timestamp(seconds: 2_000_000_960))

            clock.withLock { $0 = Timestamp(seconds: 2_000_000_959) }
            #expect(keyring.publicKey(kid: first, tenant: tenant) != nil)
            #expect(try await keyring.forgetRetiredKeys().isEmpty)
            clock.withLock { $0 = Timestamp(seconds: 2_000_000_961) }
            #expect(keyring.publicKey(kid: first, tenant: tenant) == nil)
            #expect(!String(decoding: keyring.jwks(), as: UTF8.self).contains(first))
            #expect(keyring.publicKey(kid: second, tenant: tenant) != nil)
            #expect(try await keyring.forgetRetiredKeys() == [first])
            #expect(try await store.signingKeys().map(\.kid).contains(first) == false)
            // A reload sees the same: the signer, nothing retired.
            let reloaded = Keyring(store: store, masterKey: master, now: { clock.withLock { $0 } })
            try await reloaded.load()
            #expect(reloaded.kids(tenant: tenant) == [second])
            #expect(reloaded.signerKid(tenant: tenant) == second)
        }
    }

    @Test func keysSurviveARestartAndAWrongMasterKeyStopsStartUp() async throws {
        let dir = TestApp.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tenant = TestApp.tenant()
        let saved = Mutex<(String, ClientRegistry.Created)?>(nil)
        try await AuthHarness.run(directory: dir) { app, _ in
            let (client, token) = try await app.newClient(tenant: tenant)
            saved.withLock { $0 = (token, client) }
        }
        let (token, client) = try #require(saved.withLock { $0 })
        try await AuthHarness.run(directory: dir) { app, _ in
            // The unsealed signer is the same key: old tokens verify, new ones use the same kid.
            #expect(try await app.get("/v1/products/search", token: token).status == 200)
            let fresh = try await app.httpToken(client)
            #expect(try Forge.header(fresh)["kid"] == (try Forge.header(token)["kid"]))
        }
        let wrongKey = dir + "/other.key"
        try Data((0..<32).map { _ in "ab" }.joined().utf8).write(to: URL(fileURLWithPath: wrongKey))
        // Open with our own thread pool, so a failed start leaves nothing running.
        var c = AlmanacConfiguration()
        c.dataDirectory = dir
        c.redisURL = nil
        c.masterKeyFile = wrongKey
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        await #expect(throws: CryptoError.self) {
            _ = try await AlmanacServices.open(c, logger: Logger(label: "almanac.test"), threadPool: pool)
        }
        try await pool.shutdownGracefully()
    }

    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return true
        }
        return false
    }
}
