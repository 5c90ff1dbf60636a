/// JSON Merge Patch (RFC 7396).
public enum MergePatch {
    /// Applies `patch` to `target`: objects merge recursively, `null` removes a member,
    /// anything else replaces.
    public static func apply(_ patch: JSONValue, to target: JSONValue) -> JSONValue {
        guard case .object(let patchObject) = patch else { return patch }
        var result: JSONObject
        if case .object(let t) = target { result = t } else { result = JSONObject() }
        for entry in patchObject {
            if entry.value.isNull {
                result[entry.key] = nil
            } else {
                result[entry.key] = apply(entry.value, to: result[entry.key] ?? .null)
            }
        }
        return .object(result)
    }
}
