// The bare-HTTP baseline of BENCHMARKS.md and issue 14: a Hummingbird 2 route returning a
// constant JSON body, release build, loaded by the same wrk run as `almanac serve`
// (bench/http.sh), which passes the mean size of the cached answers it is compared with.
//   bare-http [PORT] [BODY_BYTES]
import Hummingbird

let arguments = CommandLine.arguments.dropFirst()
let port = arguments.first.flatMap(Int.init) ?? 8091
let size = arguments.dropFirst().first.flatMap(Int.init) ?? 0
let head = #"{"hits":[],"total":{"value":0,"relation":"eq"},"pad":""#
let tail = #"","cache":"hit"}"#
let body = head + String(repeating: "x", count: max(0, size - head.utf8.count - tail.utf8.count)) + tail
let router = Router()
router.get("/v1/products/search") { _, _ -> Response in
    Response(
        status: .ok, headers: [.contentType: "application/json"],
        body: .init(byteBuffer: ByteBuffer(string: body)))
}
router.get("/health") { _, _ in "ok" }
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
