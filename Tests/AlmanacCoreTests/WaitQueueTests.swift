import AlmanacCore
import Testing

@Suite struct WaitQueueTests {
    /// Polls (bounded) until `condition` holds.
    func eventually(_ condition: () -> Bool) async throws {
        for _ in 0..<500 where !condition() { try await Task.sleep(for: .milliseconds(2)) }
        #expect(condition())
    }

    @Test func aCancelledWaiterIsRemovedAtOnce() async throws {
        let queue = WaitQueue<Int>()
        let waiting = Task { await queue.wait(timeout: .seconds(60)) }
        try await eventually { queue.count == 1 }
        waiting.cancel()
        guard case .cancelled = await waiting.value else {
            Issue.record("a cancelled wait must end as cancelled")
            return
        }
        #expect(queue.count == 0)
        // Nothing is handed to the cancelled waiter.
        #expect(queue.resumeFirst(with: 1) == false)
    }

    @Test func aWaitCancelledBeforeItParksNeverParks() async throws {
        let queue = WaitQueue<Int>()
        let waiting = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await queue.wait(timeout: nil)
        }
        guard case .cancelled = await waiting.value else {
            Issue.record("expected cancelled")
            return
        }
        #expect(queue.count == 0)
    }

    @Test func aDeadlineEndsTheWaitAndRemovesIt() async throws {
        let queue = WaitQueue<Int>()
        guard case .timedOut = await queue.wait(timeout: .milliseconds(20)) else {
            Issue.record("expected a time-out")
            return
        }
        #expect(queue.count == 0)
    }

    @Test func handOffsAreFirstInFirstOut() async throws {
        let queue = WaitQueue<Int>()
        let first = Task { await queue.wait(timeout: .seconds(60)).value }
        try await eventually { queue.count == 1 }
        let second = Task { await queue.wait(timeout: .seconds(60)).value }
        try await eventually { queue.count == 2 }
        #expect(queue.resumeFirst(with: 1))
        #expect(queue.resumeFirst(with: 2))
        #expect(await first.value == 1)
        #expect(await second.value == 2)
    }

    @Test func resumeWakesOnlyTheKeysItSatisfies() async throws {
        let queue = WaitQueue<Bool>()
        let low = Task { await queue.wait(key: 5, timeout: .seconds(60)).value }
        let high = Task { await queue.wait(key: 50, timeout: .seconds(60)).value }
        try await eventually { queue.count == 2 }
        #expect(queue.resume(where: { $0 <= 10 }, with: true) == 1)
        #expect(await low.value == true)
        #expect(queue.count == 1)
        high.cancel()
        #expect(await high.value == nil)
        #expect(queue.count == 0)
    }

    @Test func readyAnswersWithoutParking() async {
        let queue = WaitQueue<Int>()
        #expect(await queue.wait(timeout: nil) { 7 }.value == 7)
        #expect(queue.count == 0)
    }
}
