// The bare-HTTP baseline of BENCHMARKS.md: a Hummingbird 2 route returning a constant,
// release build, loaded by the same wrk run as `almanac serve` (bench/http.sh).
//   bare-http [PORT]
import Hummingbird

let port = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 8091
let body = #"{"hits":[],"total":{"value":0,"relation":"eq"},"cache":"hit"}"#
let router = Router()
router.get("/v1/products/search") { _, _ -> Response in
    Response(
        status: .ok, headers: [.contentType: "application/json"],
        body: .init(byteBuffer: ByteBuffer(string: body)))
}
router.get("/health") { _, _ in "ok" }
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
