"""Training on sampled subgraphs of a large graph: NeighborLoader, ClusterLoader and the loaders that
run without compiled extensions (RandomNodeLoader; NeighborLoader's own NodeLoader pipeline with a
k-hop sampler written in torch)."""
import pytest
import torch
import torch.nn.functional as F

pytest.importorskip("torch_geometric")

import torch_geometric.typing as pyg_typing  # noqa: E402
from torch_geometric.data import Data  # noqa: E402
from torch_geometric.loader import NodeLoader, RandomNodeLoader  # noqa: E402
from torch_geometric.sampler import BaseSampler, NodeSamplerInput, SamplerOutput  # noqa: E402
from torch_geometric.utils import k_hop_subgraph, subgraph  # noqa: E402

from pyg_iterative import PIGN  # noqa: E402
from tests import helpers  # noqa: E402

HAS_SAMPLER = pyg_typing.WITH_PYG_LIB or pyg_typing.WITH_TORCH_SPARSE
HAS_METIS = pyg_typing.WITH_METIS or pyg_typing.WITH_TORCH_SPARSE


def community_graph():
    x, edge_index, y = helpers.community_graph()
    return Data(x=x, edge_index=edge_index, y=y, num_nodes=x.size(0))


def train(loader, data, seeds_only=False, epochs=10):
    """Train PIGN on the loader's subgraphs (the loss on the seed nodes only, for samplers that add
    neighbours); return (last epoch's loss / first epoch's, accuracy on the whole graph)."""
    torch.manual_seed(0)
    model = PIGN(data.num_features, 16, 3, num_iterations=4, dropout=0.0)

    def loss_of(model, batch):
        out = model(batch.x, batch.edge_index)
        n = batch.batch_size if seeds_only else out.size(0)
        return F.cross_entropy(out[:n], batch.y[:n])

    losses = helpers.train_epochs(model, lambda: loader, loss_of, epochs=epochs)
    model.eval()
    with torch.no_grad():
        acc = float((model(data.x, data.edge_index).argmax(-1) == data.y).float().mean())
    return losses[-1] / losses[0], acc


def learned(result):
    ratio, acc = result
    return ratio < 0.95 and acc > 0.6  # chance: 1/3; the features alone: 0.63


@pytest.mark.skipif(not HAS_SAMPLER, reason="NeighborLoader needs pyg-lib or torch-sparse, neither is installed "
                    "(test_node_loader_with_k_hop_sampler covers its pipeline)")
def test_neighbor_loader():
    from torch_geometric.loader import NeighborLoader

    data = community_graph()
    loader = NeighborLoader(data, num_neighbors=[5, 5], batch_size=40, shuffle=True)
    assert learned(train(loader, data, seeds_only=True))


@pytest.mark.skipif(not HAS_METIS, reason="ClusterLoader needs METIS from pyg-lib or torch-sparse, neither is "
                    "installed (test_random_node_loader covers node-induced subgraph training)")
def test_cluster_loader(tmp_path):
    from torch_geometric.loader import ClusterData, ClusterLoader

    data = community_graph()
    loader = ClusterLoader(ClusterData(data, num_parts=6, save_dir=str(tmp_path)), batch_size=2, shuffle=True)
    assert learned(train(loader, data))


def test_random_node_loader():
    data = community_graph()
    loader = RandomNodeLoader(data, num_parts=2, shuffle=True)  # node-induced subgraphs
    assert learned(train(loader, data, epochs=15))


class KHopSampler(BaseSampler):
    """NeighborLoader's output without its compiled sampler: the seeds first, then their k-hop
    in-neighbourhood, with every edge among those nodes (a square, node-induced subgraph)."""

    def __init__(self, data, hops=2):
        self.edge_index, self.num_nodes, self.hops = data.edge_index, data.num_nodes, hops

    def sample_from_nodes(self, inputs: NodeSamplerInput) -> SamplerOutput:
        seed = inputs.node
        subset = k_hop_subgraph(seed, self.hops, self.edge_index, num_nodes=self.num_nodes)[0]
        mask = torch.ones(self.num_nodes, dtype=torch.bool)
        mask[seed] = False
        node = torch.cat([seed, subset[mask[subset]]])
        ei, _, edge_mask = subgraph(node, self.edge_index, relabel_nodes=True, num_nodes=self.num_nodes,
                                    return_edge_mask=True)
        return SamplerOutput(node=node, row=ei[0], col=ei[1], edge=edge_mask.nonzero().view(-1),
                             metadata=(inputs.input_id, inputs.time))

    def sample_from_edges(self, index, neg_sampling=None):
        raise NotImplementedError("node-level sampling only")


def test_node_loader_with_k_hop_sampler():
    data = community_graph()
    loader = NodeLoader(data, node_sampler=KHopSampler(data, hops=1), batch_size=60, shuffle=True)
    batch = next(iter(loader))
    assert batch.batch_size == 60 and torch.equal(batch.x, data.x[batch.n_id])
    assert learned(train(loader, data, seeds_only=True))
