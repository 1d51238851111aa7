import Testing
import Latent

@Test func latentReexportsCompute() {
    #expect(DType.float32.byteSize == 4)
}
