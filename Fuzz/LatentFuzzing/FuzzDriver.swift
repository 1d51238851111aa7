import Foundation

/// The `main` of every fuzz executable.
///
/// Built with `-DFUZZING` and libFuzzer's no-main runtime (`make fuzz`), it hands control to
/// libFuzzer with `target` as the callback, so all of libFuzzer's flags work (`-max_total_time=60`,
/// a corpus folder, `-runs=`, a crash file to reproduce). Built normally, it replays the files and
/// folders given as arguments through `target` and prints each verdict, so a crash input can be
/// debugged without the fuzzing toolchain.
public enum FuzzDriver {
    public static func main(_ target: FuzzTarget) -> Never {
        current = target
        #if FUZZING
            var argc = CommandLine.argc
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
            let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
                let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
                _ = FuzzDriver.current?.run(bytes)
                return 0
            }
            FuzzScratch.shared.remove()
            exit(status)
        #else
            exit(replay(target, paths: Array(CommandLine.arguments.dropFirst())))
        #endif
    }

    nonisolated(unsafe) static var current: FuzzTarget?

    /// Runs every file named (folders: every file inside) through `target`; prints one line each.
    static func replay(_ target: FuzzTarget, paths: [String]) -> Int32 {
        guard !paths.isEmpty else {
            print("usage: Fuzz\(target.rawValue) FILE_OR_FOLDER... (replays inputs; build with `make fuzz` to fuzz)")
            return 2
        }
        for file in paths.flatMap(FuzzCorpus.files(at:)) {
            guard let bytes = FileManager.default.contents(atPath: file) else {
                print("\(file): cannot read")
                return 1
            }
            print("\(file): " + (target.run(Array(bytes)) ?? "accepted"))
        }
        FuzzScratch.shared.remove()
        return 0
    }
}

#if FUZZING
    /// libFuzzer's entry point when its `main` is not linked (`libclang_rt.fuzzer_no_main`).
    @_silgen_name("LLVMFuzzerRunDriver")
    func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt
#endif
