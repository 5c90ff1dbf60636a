import Foundation

/// The OpenAPI 3.1 document served at `/openapi.json`: `Resources/openapi.json`, kept in
/// step with docs/API.md and with the routes (`OpenAPIDocumentTests` checks both ways).
enum OpenAPIDocument {
    /// The file's bytes, read once from the module's resource bundle and served unchanged.
    static let bytes: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
            let data = try? Data(contentsOf: url)
        else {
            fatalError("openapi.json is missing from the AlmanacServer resource bundle")
        }
        return Array(data)
    }()
}
