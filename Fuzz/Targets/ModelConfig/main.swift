import LatentFuzzing

FuzzDriver.main(.modelConfig)
