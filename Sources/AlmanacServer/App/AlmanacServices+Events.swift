import AlmanacStore
import AlmanacCore

extension AlmanacServices {
    /// Adds the timeline index's state to `/ready`.
    func eventReadiness(into indexes: inout JSONObject, head: Int64) {
        let seq = eventWatermark.value
        indexes["events"] = ["indexed_seq": .int(seq), "lag": .int(max(0, head - seq))]
    }
}
