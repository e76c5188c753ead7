"""The package keeps its layers: no import circles, and no module imports a layer above its own.

Every ``gan_tutorial`` module's imports are read with ``ast``, those inside functions too (an
import moved into a function to dodge a circle is still the circle). The layers are the ones the
package docstring states (``gan_tutorial/__init__.py``):

1. core pieces: data, networks, losses, the GAN models, callbacks, metrics, run folders;
2. architectures: one module each, built on the core only (never on each other);
3. the registry of architectures and the TrainConfig that names one;
4. the trainer: training, devices, speed, and scoring what it trained;
5. front ends: the command line, the notebooks' experiments, the exercises.

A module may import its own layer or the ones below; the trainer and the command line reach an
architecture only through the registry.
"""

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "gan_tutorial"
LAYERS = {
    1: {"runtime", "faults", "data", "layers", "losses", "models", "metrics", "plots", "checkpoints", "classifier",
        "features", "gan", "callbacks", "runs"},
    2: {"dcgan", "conditional", "stylegan", "cyclegan", "wgan"},
    3: {"architectures", "config"},
    4: {"training", "distribute", "benchmark", "evaluation", "reference"},
    5: {"cli", "__main__", "__init__", "stabilization", "game", "assignments", "exercises"},
}
LAYER_OF = {module: layer for layer, modules in LAYERS.items() for module in modules}
ARCHITECTURES = LAYERS[2]
NAMES_NO_ARCHITECTURE = {"training", "cli", "benchmark", "callbacks", "distribute", "evaluation", "reference"}


def module_name(path):
    """'gan' for gan_tutorial/gan.py; 'exercises' for every module of the exercises package."""
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def package_imports():
    """{module: {imported module}}, over every gan_tutorial module, imports inside functions included."""
    graph = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        imported = graph.setdefault(name, set())
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("gan_tutorial"):
                parts = node.module.split(".")
                if len(parts) > 1:
                    imported.add(parts[1])
                else:  # from gan_tutorial import a, b
                    imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[1] for alias in node.names
                                if alias.name.startswith("gan_tutorial."))
        imported.discard(name)
    return graph


def circles(graph):
    """The strongly connected groups of more than one module (Tarjan), each as a sorted list."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def violations(graph):
    """'a -> b (why)' for every import against the layers."""
    found = []
    for module, imported in sorted(graph.items()):
        for target in sorted(imported):
            if LAYER_OF[target] > LAYER_OF[module]:
                found.append(f"{module} -> {target} (layer {LAYER_OF[module]} imports layer {LAYER_OF[target]})")
            elif module in ARCHITECTURES and target in ARCHITECTURES:
                found.append(f"{module} -> {target} (an architecture builds on the core, not on another one)")
            elif module in NAMES_NO_ARCHITECTURE and target in ARCHITECTURES:
                found.append(f"{module} -> {target} (it reaches architectures through the registry only)")
    return found


def test_every_module_has_a_layer():
    assert set(package_imports()) - set(LAYER_OF) == set()


def test_no_import_circles():
    assert circles(package_imports()) == []


def test_no_import_against_the_layers():
    assert violations(package_imports()) == []


def test_the_package_docstring_states_the_layers():
    import gan_tutorial

    for heading in ("core", "architectures", "registry", "trainer", "front ends"):
        assert heading in gan_tutorial.__doc__
