import AlmanacStore
/// The OpenAPI document served at `/openapi.json` (kept in step with API.md).
enum OpenAPIDocument {
    static let json = #"{"openapi":"3.1.0","info":{"title":"Almanac","version":"1.0.0"},"paths":{}}"#
}
