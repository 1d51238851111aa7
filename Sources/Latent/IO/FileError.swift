/// An error about one file: which file, what kind of problem, and a sentence saying what is wrong.
///
/// Every reader and writer in `IO/` and `Data/` reports problems this way, so a caller can show
/// `description` to a user ("…/train-images-idx3-ubyte.gz: truncated: header says …") and a test can
/// match on `kind` without parsing text.
public struct FileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The broad class of a problem.
    public enum Kind: String, Sendable {
        /// The file (or folder) does not exist.
        case notFound
        /// The file ends before the data its header announces.
        case truncated
        /// The content is not what the format requires (bad magic, bad JSON, bad offsets, …).
        case malformed
        /// A valid but unsupported variant (an element type or format version this build can't read).
        case unsupported
        /// Two parts disagree (label count vs image count, image sizes in a folder, expected shapes).
        case mismatch
        /// The operating system refused a read or write (permissions, disk full, …).
        case io
    }

    public let path: String
    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, path: String, _ message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    public var description: String {
        switch kind {
        case .truncated: "\(path): truncated: \(message)"
        default: "\(path): \(message)"
        }
    }
}
