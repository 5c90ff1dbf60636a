import AlmanacTestSupport
import Foundation
import Testing

/// `scripts/openapi_client_check.py`: a Python client generated with openapi-python-client
/// (installed by `scripts/test.sh`) from the document a real `almanac serve` serves.
enum OpenAPIPythonClient {
    static let script: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/openapi_client_check.py").path

    /// Whether python3 can import the generator and the libraries its clients use.
    static let isAvailable: Bool = {
        let probe = try? ChildProcess.run("/usr/bin/env", ["python3", "-c", "import openapi_python_client, httpx, attrs"])
        return probe?.status == 0
    }()
}

@Suite(
    "OpenAPI: a generated Python client",
    .enabled(if: AlmanacCLI.isAvailable, "the almanac executable is not built next to the tests"),
    .enabled(if: OpenAPIPythonClient.isAvailable, "python3 with openapi-python-client not found (scripts/test.sh installs it)"))
struct OpenAPIClientTests {
    /// Generates the client, then issues a token, PUTs a product twice and searches for it,
    /// all through generated calls, against a child `almanac serve`.
    @Test(.timeLimit(.minutes(2)))
    func searchAndPutThroughAGeneratedPythonClient() throws {
        let result = try ChildProcess.run(
            "/usr/bin/env", ["python3", OpenAPIPythonClient.script, try #require(AlmanacCLI.path)])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }
}
