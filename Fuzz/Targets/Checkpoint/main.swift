import LatentFuzzing

FuzzDriver.main(.checkpoint)
