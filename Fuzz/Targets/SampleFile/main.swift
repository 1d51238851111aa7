import LatentFuzzing

FuzzDriver.main(.sampleFile)
