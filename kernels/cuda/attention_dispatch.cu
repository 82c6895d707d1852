// nvcc's build of the attention kernels and their dispatch (every storage dtype and head
// dim in tile_config.h, for every target architecture).
#include "kernels/cuda/attention_dispatch_impl.h"
