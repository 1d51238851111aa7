#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes files so that a reader sees either the complete old file or the complete new one.
///
/// The data go to a temporary file in the target's own folder (same file system, so the final
/// `rename` is atomic); the temporary file is flushed with `fsync`, renamed over the target, and the
/// folder is synced so the rename itself survives a crash. On any failure (no such folder, no
/// permission, disk full, the body throwing) the temporary file is removed and a previous file at
/// the target path is left untouched.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try write(to: path) { try $0.write(bytes) }
    }

    /// Streams a file to `path` atomically: `body` writes the content through the writer in as many
    /// pieces as it likes. If `body` throws, nothing at `path` changes and the error is rethrown.
    public static func write(to path: String, _ body: (AtomicFileWriter) throws -> Void) throws {
        let (folder, base) = splitPath(path)
        var fd: Int32 = -1
        var temp = ""
        for _ in 0..<16 {
            temp = folder + "/." + base + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else {
            let reason = lastErrorString()
            throw FileError(.io, path: path, "cannot create a temporary file in \(folder): \(reason)")
        }
        let writer = AtomicFileWriter(fd: fd, path: path)
        do {
            try body(writer)
            guard fsync(fd) == 0 else {
                throw FileError(.io, path: path, "cannot flush to disk: \(lastErrorString())")
            }
            let closed = close(fd)
            fd = -1
            guard closed == 0 else {
                throw FileError(.io, path: path, "cannot close the temporary file: \(lastErrorString())")
            }
            guard rename(temp, path) == 0 else {
                throw FileError(.io, path: path, "cannot replace the file: \(lastErrorString())")
            }
        } catch {
            if fd >= 0 { close(fd) }
            unlink(temp)
            throw error
        }
        syncFolder(folder, path: path)
        removeOrphans(folder: folder, base: base)
    }

    /// Deletes temporary files of `base` left by processes that died mid-write (killed, power
    /// cut): a name `.BASE.tmp-PID-…` whose PID no longer runs. Best effort, silent.
    static func removeOrphans(folder: String, base: String) {
        guard let dir = opendir(folder) else { return }
        defer { closedir(dir) }
        let prefix = "." + base + ".tmp-"
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.hasPrefix(prefix), let pid = pid_t(name.dropFirst(prefix.count).prefix { $0 != "-" }),
                pid != getpid(), kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            unlink(folder + "/" + name)
        }
    }

    /// Best effort: makes the rename durable. Some file systems refuse to sync a folder; the
    /// new file is in place either way, so a failure here is not reported.
    private static func syncFolder(_ folder: String, path: String) {
        let dfd = open(folder, O_RDONLY | O_CLOEXEC)
        guard dfd >= 0 else { return }
        _ = fsync(dfd)
        close(dfd)
    }

    static func splitPath(_ path: String) -> (folder: String, base: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let folder = String(path[..<slash])
        return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
    }
}

/// The sink handed to `AtomicFile.write(to:_:)`'s body; valid only during that call.
public final class AtomicFileWriter {
    private let fd: Int32
    private let path: String
    /// Bytes written so far.
    public private(set) var byteCount = 0

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    /// Appends raw bytes, retrying short writes and interrupted calls.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard var base = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = systemWrite(fd, base, left)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(.io, path: path, "write failed after \(byteCount) bytes: \(lastErrorString())")
            }
            left -= n
            byteCount += n
            base += n
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }
}

/// `write(2)`, under another name so it does not clash with the writer's own `write` methods.
@inline(__always)
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
        return Glibc.write(fd, buffer, count)
    #elseif canImport(Musl)
        return Musl.write(fd, buffer, count)
    #else
        return Darwin.write(fd, buffer, count)
    #endif
}

/// The text of the current `errno`.
func lastErrorString() -> String {
    String(cString: strerror(errno))
}
