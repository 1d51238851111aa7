import LatentFuzzing

FuzzDriver.main(.idx)
