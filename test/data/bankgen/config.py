# test/data/bankgen/config.py: the configuration of one generation run
#
# Named sizes, the default seed, the block and group sizes, and Config
# (size, parties, seed, branch and block counts).

from .organisation import branches_for

GENERATOR_VERSION = '1'

BLOCK = 1000                             # parties per block
GROUP = 10                               # blocks per COPY group in --script output

SIZES = {'ci': 10_000, 'demo': 100_000, 'bench': 1_000_000}
DEFAULT_SEED = 42


class Config:
    def __init__(self, size, parties, seed):
        self.size = size
        self.parties = parties
        self.seed = seed
        self.branches = branches_for(parties)
        self.blocks = (parties + BLOCK - 1) // BLOCK
