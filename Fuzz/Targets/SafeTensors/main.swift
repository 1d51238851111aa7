import LatentFuzzing

FuzzDriver.main(.safeTensors)
