"""Few-shot prompting: choose worked examples from a pool for each input (or one block for all).

Python API::

    from advisor.fewshot import Selector, SelectionSettings, load_pool

    with Selector("pool.jsonl", settings=SelectionSettings(k=10)) as selector:
        for chosen in selector.select("My invoice shows a charge twice"):   # list[Selected]
            print(chosen.example.id, chosen.score, chosen.example.label)
        block = selector.static(10)                                          # one block for every input

See :mod:`advisor.fewshot.select` for how examples are chosen and :mod:`advisor.fewshot.pool` for
the pool formats. The sweep over k (static block vs per-input selection) is the ``few_shot``
launcher (:mod:`advisor.launchers.few_shot`); prompts are built by :mod:`advisor.fewshot.prompt`.
"""

from advisor.fewshot.pool import Pool, PoolExample, load_pool, normal_input
from advisor.fewshot.select import Selected, SelectionSettings, Selector, default_cache_dir

__all__ = ["Pool", "PoolExample", "Selected", "SelectionSettings", "Selector", "default_cache_dir", "load_pool",
           "normal_input"]
