import Testing
@testable import LatentCompute

@Test func broadcastLayoutCollapses() {
    let layout = BroadcastLayout(shapes: [[2, 3, 4], [4]])!
    #expect(layout.shape == [6, 4])
    #expect(layout.operandStrides == [[4, 1], [0, 1]])
}
