import Foundation

/// The process's resident memory as Linux reports it in /proc/self/status; nil on other systems.
/// Unlike a device's buffer count it includes everything: allocator caches, scratch arrays, the runtime.
public enum ProcessMemory {
    /// VmRSS (resident now) and VmHWM (its high-water mark), in bytes.
    public static func resident() -> (current: Int, peak: Int)? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        func kibibytes(_ key: String) -> Int? {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return nil }
            return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        }
        guard let current = kibibytes("VmRSS"), let peak = kibibytes("VmHWM") else { return nil }
        return (current * 1024, peak * 1024)
    }

    /// Resets VmHWM to the current RSS (writing 5 to /proc/self/clear_refs); false where that is not possible.
    @discardableResult
    public static func resetPeak() -> Bool {
        guard let file = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? file.close() }
        return (try? file.write(contentsOf: Data("5".utf8))) != nil
    }

    /// Runs `body` and returns how far the resident high-water mark rose above the RSS at its start.
    public static func peakIncrease<T>(during body: () throws -> T) rethrows -> (T, Int?) {
        let reset = resetPeak()
        let before = resident()
        let result = try body()
        guard reset, let before, let after = resident() else { return (result, nil) }
        return (result, max(0, after.peak - before.current))
    }
}
