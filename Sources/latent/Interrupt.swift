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
    private let sources: [any DispatchSourceSignal]

    /// Watches SIGINT, and `also` (under mpirun: SIGTERM, which mpirun sends every rank on Ctrl-C).
    init(also extra: [Int32] = []) {
        let flag = flag
        sources = ([SIGINT] + extra).map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [flag] in flag.raised.store(true, ordering: .relaxed) }
            source.resume()
            return source
        }
    }

    var isRaised: Bool { flag.raised.load(ordering: .relaxed) }
}
