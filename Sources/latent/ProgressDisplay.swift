import Foundation
import Latent

/// Training progress: a one-line bar redrawn in place on a terminal, plain periodic lines otherwise.
struct ProgressDisplay {
    let totalSteps: Int
    let interactive = isatty(STDOUT_FILENO) != 0
    let start = Date()
    let startStep: Int
    var lastLine = Date.distantPast

    init(totalSteps: Int, startStep: Int) {
        self.totalSteps = totalSteps
        self.startStep = startStep
    }

    var elapsed: Double { Date().timeIntervalSince(start) }

    func stepsPerSecond(at step: Int) -> Double { Double(step - startStep) / max(elapsed, 1e-9) }

    mutating func show(_ r: StepReport, every: Int) {
        let rate = stepsPerSecond(at: r.step)
        let remaining = rate > 0 ? Double(totalSteps - r.step) / rate : 0
        let metrics = r.metrics.map { String(format: " %@ %.4g", $0.0, $0.1) }.joined()
        if interactive {
            guard Date().timeIntervalSince(lastLine) > 0.1 || r.step == totalSteps else { return }
            lastLine = Date()
            let width = 24
            let filled = Int(Double(width) * Double(r.step) / Double(max(totalSteps, 1)))
            let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
            print(
                String(
                    format: "\r\u{1B}[Kstep %d/%d [%@] loss %.4f%@  %.2f steps/s  ETA %@",
                    r.step, totalSteps, bar, r.loss, metrics, rate, duration(remaining)), terminator: "")
            fflush(nil)  // all C streams: print() goes through stdout's buffer
        } else if r.step % every == 0 || r.step == totalSteps {
            print(
                String(
                    format: "step %d/%d loss %.4f%@ lr %.3g %.2f steps/s ETA %@",
                    r.step, totalSteps, r.loss, metrics, r.learningRate, rate, duration(remaining)))
        }
    }

    func finish() { if interactive { print("") } }
}

func duration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" : s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
}

extension ProgressDisplay {
    /// One sampler iteration: redrawn on a terminal, every tenth step otherwise.
    mutating func showSampling(_ p: SamplingProgress) {
        if interactive {
            guard Date().timeIntervalSince(lastLine) > 0.1 || p.step == p.steps else { return }
            lastLine = Date()
            print(
                String(format: "\r\u{1B}[Ksampling step %d/%d (t = %d)  %.1fs", p.step, p.steps, p.timestep, elapsed),
                terminator: "")
            fflush(nil)
        } else if p.step % max(1, p.steps / 10) == 0 || p.step == p.steps {
            print("sampling step \(p.step)/\(p.steps) (t = \(p.timestep))")
        }
    }
}
