import Dispatch
import Foundation
import Synchronization

/// Turns Ctrl-C (SIGINT) into a flag the training loop polls, so it can write a checkpoint and exit
/// cleanly instead of dying mid-step.
final class InterruptFlag {
    private final class Flag: Sendable {
        let raised = Atomic<Bool>(false)
    }

    private let flag = Flag()
    private let source: any DispatchSourceSignal

    init() {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [flag] in flag.raised.store(true, ordering: .relaxed) }
        source.resume()
    }

    var isRaised: Bool { flag.raised.load(ordering: .relaxed) }
}
