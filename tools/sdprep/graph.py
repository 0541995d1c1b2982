"""Graph helpers shared by the stages (work on onnx protos, or anything with the same fields): operator
counts, static dims, the initializers that only some op types read, and loading a graph without its
weights (they stay in their files and are read on demand from the graph's directory)."""
import collections
import os


def op_counts(nodes):
    return dict(sorted(collections.Counter(f"{n.domain + '.' if n.domain else ''}{n.op_type}" for n in nodes).items()))


def static_dim_values(part, batch, height, width, latent_channels=4):
    """The size of each symbolic dim (as this tool names them at export) for one request size."""
    latent = dict(channels=latent_channels, height=height // 8, width=width // 8)
    return {
        "text_encoder": dict(batch=1, sequence=77),
        "unet": dict(batch=batch, sequence=77, **latent),
        "vae_decoder": dict(batch=1, **latent),
        "vae_encoder": dict(batch=1, channels=3, height=height, width=width),
        "taesd_decoder": dict(batch=1, **latent),
        "taesd_encoder": dict(batch=1, channels=3, height=height, width=width),
        "safety_checker": dict(batch=1, channels=3, height=224, width=224, image_height=height, image_width=width, image_channels=3),
    }[part]


def fix_dims(graph, values):
    """Replaces symbolic dims by fixed sizes in the graph's inputs, outputs and value_info."""
    fixed = 0
    for value in list(graph.input) + list(graph.output) + list(graph.value_info):
        for dim in value.type.tensor_type.shape.dim:
            if dim.dim_param in values:
                size = values[dim.dim_param]
                dim.ClearField("dim_param")
                dim.dim_value = size
                fixed += 1
    return fixed


class weights_beside:
    """Runs a block in the directory of an ONNX file loaded without its external data: onnx's
    numpy_helper.to_array then finds each external tensor's file there (relative `location`), so the
    optimizer and converters read only the few weights they look at, never the whole model."""

    def __init__(self, model_path):
        self.directory = os.path.dirname(os.path.abspath(model_path))

    def __enter__(self):
        self.previous = os.getcwd()
        os.chdir(self.directory)

    def __exit__(self, *exc):
        os.chdir(self.previous)


def load_graph(path):
    """The ONNX model at `path` without its external data (the weights stay in their files)."""
    import onnx
    return onnx.load_model(path, load_external_data=False)


def weights_of(graph, op_types):
    """Names of the float32 initializers that only nodes of `op_types` read (as weights or biases)."""
    import onnx
    readers = collections.defaultdict(set)
    for node in graph.node:
        for name in node.input:
            readers[name].add(node.op_type)
    return {t.name for t in graph.initializer
            if t.data_type == onnx.TensorProto.FLOAT and readers.get(t.name) and readers[t.name] <= set(op_types)}
