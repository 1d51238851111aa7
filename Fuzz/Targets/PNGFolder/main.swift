import LatentFuzzing

FuzzDriver.main(.pngFolder)
