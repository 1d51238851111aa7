import ArgumentParser
import Foundation
import LatentCompute

/// `latent devices`: every OpenCL platform and device, and which one `auto` picks.
struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices", abstract: "List OpenCL platforms and devices and mark the one `auto` picks.")

    func run() throws {
        let cpu = CPUDevice.shared
        let devices: [OpenCLDeviceInfo]
        do {
            devices = try OpenCLRuntime.discover()
        } catch {
            print("OpenCL: unavailable (\(error))")
            print("* cpu   \(cpu.name)   [auto]")
            return
        }
        let choice = DeviceSelection.autoChoice(devices)
        var platform = -1
        for d in devices {
            if d.platformIndex != platform {
                platform = d.platformIndex
                print("platform \(d.platformIndex): \(d.platformName)")
            }
            let mark = choice.map { $0.platformIndex == d.platformIndex && $0.deviceIndex == d.deviceIndex } == true
            print("\(mark ? "*" : " ") opencl:\(d.platformIndex):\(d.deviceIndex)  \(d.name)\(mark ? "   [auto]" : "")")
            print(
                "      type \(d.type), \(d.computeUnits) compute units, global \(formatBytes(d.globalMemoryBytes)), "
                    + "local \(formatBytes(d.localMemoryBytes)), max work-group \(d.maxWorkGroupSize)")
            print("      fp16 \(d.fp16 ? "yes" : "no"), fp64 \(d.fp64 ? "yes" : "no"), driver \(d.driverVersion), \(d.openCLCVersion)")
        }
        print("\(choice == nil ? "*" : " ") cpu   \(cpu.name)\(choice == nil ? "   [auto: no OpenCL GPU or accelerator]" : "")")
    }
}

func formatBytes(_ bytes: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}
