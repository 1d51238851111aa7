#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a whole file into memory with plain `read(2)` calls (no memory mapping, so a file that
/// shrinks while it is read gives a short read, not a crash).
enum WholeFile {
    static func read(_ path: String, hint: String? = nil) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT {
                throw FileError(.notFound, path: path, "no such file" + (hint.map { "; \($0)" } ?? ""))
            }
            throw FileError(.io, path: path, "cannot open: \(lastErrorString())")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileError(.io, path: path, "cannot stat: \(lastErrorString())") }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw FileError(.malformed, path: path, "is a folder, not a file") }
        // Read straight into a buffer of the size fstat reports; a file that grows meanwhile is
        // read to its end through the chunk loop below, one that shrinks gives a shorter result.
        let expected = max(0, Int(info.st_size))
        var filled = 0
        var failure: Int32 = 0
        var bytes = [UInt8](unsafeUninitializedCapacity: expected) { buffer, count in
            while filled < expected {
                let n = systemRead(fd, buffer.baseAddress! + filled, expected - filled)
                if n < 0 && errno == EINTR { continue }
                if n < 0 {
                    failure = errno
                    break
                }
                if n == 0 { break }
                filled += n
            }
            count = filled
        }
        if failure != 0 {
            throw FileError(.io, path: path, "read failed after \(filled) bytes: \(String(cString: strerror(failure)))")
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while filled == expected {
            let n = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(.io, path: path, "read failed after \(bytes.count) bytes: \(lastErrorString())")
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }
}

@inline(__always)
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
        return Glibc.read(fd, buffer, count)
    #elseif canImport(Musl)
        return Musl.read(fd, buffer, count)
    #else
        return Darwin.read(fd, buffer, count)
    #endif
}

/// True when `path` names an existing file or folder.
func fileExists(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0
}

/// True when `path` names an existing folder.
func folderExists(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
}
