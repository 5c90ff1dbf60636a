import Testing
@testable import AlmanacCache

@Suite struct RedisURLTests {
    @Test func hostPortAndDatabase() throws {
        let url = try RedisURL("redis://cache.internal:6380/2")
        #expect(url.endpoint == .tcp(host: "cache.internal", port: 6380))
        #expect(url.database == 2)
        #expect(url.password == nil)
        #expect(url.username == nil)
    }

    @Test func defaults() throws {
        let url = try RedisURL("redis://127.0.0.1")
        #expect(url.endpoint == .tcp(host: "127.0.0.1", port: 6379))
        #expect(url.database == 0)
        #expect(try RedisURL("redis://127.0.0.1/").database == 0)
    }

    @Test func password() throws {
        let url = try RedisURL("redis://:s%40cr%3At@localhost:7000/1")
        #expect(url.password == "s@cr:t")
        #expect(url.username == nil)
        #expect(url.endpoint == .tcp(host: "localhost", port: 7000))
        #expect(url.database == 1)
        #expect(!url.description.contains("cr"))

        let acl = try RedisURL("redis://app:pw@h")
        #expect(acl.username == "app")
        #expect(acl.password == "pw")
    }

    @Test func ipv6AndUnix() throws {
        #expect(try RedisURL("redis://[::1]:6390").endpoint == .tcp(host: "::1", port: 6390))
        let unix = try RedisURL("unix:///run/redis/redis.sock?db=3")
        #expect(unix.endpoint == .unix(path: "/run/redis/redis.sock"))
        #expect(unix.database == 3)
        #expect(try RedisURL("unix://:pw@/tmp/r.sock").password == "pw")
    }

    @Test(arguments: [
        "127.0.0.1:6379", "http://h", "rediss://h", "redis://h:0", "redis://h:99999",
        "redis://h:x", "redis://h/x", "redis://h/-1", "redis://", "unix://relative.sock",
        "redis://h?foo=1", "redis://:%zz@h",
    ])
    func rejects(_ text: String) {
        #expect(throws: RedisError.self) { try RedisURL(text) }
    }
}

@Suite struct CacheKeyTests {
    @Test func format() {
        let key = CacheKey(tenant: "acme", collection: .products, generation: 42, digestHex: "ABCDEF01")
        #expect(key.rawValue == "almanac:acme|products|42|abcdef01")
        let fromBytes = CacheKey(tenant: "acme", collection: .events, generation: UInt64(7), digest: [0x00, 0x0f, 0xa0, 0xff])
        #expect(fromBytes.rawValue == "almanac:acme|events|7|000fa0ff")
    }

    @Test func separatorsCannotCollide() {
        let a = CacheKey(tenant: "a|products", collection: .events, generation: 1, digestHex: "00")
        let b = CacheKey(tenant: "a", collection: .products, generation: 1, digestHex: "00")
        #expect(a != b)
        #expect(a.rawValue == "almanac:a%7Cproducts|events|1|00")
        #expect(CacheKey(tenant: "100%", collection: .products, generation: 0, digestHex: "").rawValue == "almanac:100%25|products|0|")
    }
}

@Suite struct RedisSentinelURLTests {
    @Test func sentinelURLsNameTheSentinelsAndTheMaster() throws {
        let url = try RedisURL("redis+sentinel://:s3cret@10.0.0.1,10.0.0.2:26380,[::1]/cache/2")
        #expect(
            url.endpoint
                == .sentinel(
                    sentinels: [
                        .init(host: "10.0.0.1", port: 26379), .init(host: "10.0.0.2", port: 26380), .init(host: "::1", port: 26379),
                    ],
                    master: "cache"))
        #expect(url.password == "s3cret")
        #expect(url.database == 2)
        #expect(url.description == "redis+sentinel://:***@10.0.0.1:26379,10.0.0.2:26380,[::1]:26379/cache/2")
        #expect(try RedisURL("redis+sentinel://127.0.0.1:5000/mymaster").database == 0)
        for bad in ["redis+sentinel://127.0.0.1:5000", "redis+sentinel://127.0.0.1/", "redis+sentinel://127.0.0.1/m/x",
                    "redis+sentinel://127.0.0.1:0/m", "redis+sentinel://,127.0.0.1/m"] {
            #expect(throws: RedisError.self, "\(bad)") { try RedisURL(bad) }
        }
    }
}
