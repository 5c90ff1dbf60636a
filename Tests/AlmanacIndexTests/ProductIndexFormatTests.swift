import AlmanacCore
import AlmanacIndex
import Foundation
import Testing

/// The product index records its document format; an index of an older format is refused
/// with the command that rebuilds it, and a new index takes the current one.
@Suite struct ProductIndexFormatTests {
    @Test func anOldFormatIsRefusedWithTheRebuildCommand() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/products"
            let slots = SlotRegistry(path: dir + "/slots.json")
            let writer = try ProductIndexWriter(path: path, slots: slots, vocabulary: TypoVocabulary())
            try writer.apply(
                [ProductIndexChange(tenant: "t", id: "gimp", json: #"{"id":"gimp","title":"gimp editor","version":1,"created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:00:00Z"}"#)],
                watermark: 1, settings: { _ in .default })
            try writer.close()
            #expect(String(decoding: try XapianDatabase(path: path).metadata(ProductIndexWriter.formatKey), as: UTF8.self) == "2")

            // As an index written before formats were recorded.
            let db = try XapianWritableDatabase(path: path)
            try db.setMetadata(ProductIndexWriter.formatKey, [])
            try db.commit()
            try db.close()
            do {
                _ = try ProductIndexWriter(path: path, slots: slots, vocabulary: TypoVocabulary())
                Issue.record("an index of format 1 was opened")
            } catch let error as AlmanacError {
                #expect(error.detail.contains("almanac reindex products"), "\(error)")
                #expect(error.detail.contains("format 1"))
            }
            // An empty index of no format is simply new.
            let fresh = try ProductIndexWriter(path: dir + "/empty", slots: slots, vocabulary: TypoVocabulary())
            try fresh.commit(watermark: 0)
            try fresh.close()
            #expect(String(decoding: try XapianDatabase(path: dir + "/empty").metadata(ProductIndexWriter.formatKey), as: UTF8.self) == "2")
        }
    }
}
