import torch

# The graphs in these tests have tens of nodes: each operation is microseconds of work, and with several
# intra-op threads the OpenMP hand-offs cost milliseconds (far more on a machine shared with other jobs).
# One thread runs these tests many times faster and computes the same values.
torch.set_num_threads(1)
