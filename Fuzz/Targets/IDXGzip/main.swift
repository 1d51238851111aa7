import LatentFuzzing

FuzzDriver.main(.idxGzip)
