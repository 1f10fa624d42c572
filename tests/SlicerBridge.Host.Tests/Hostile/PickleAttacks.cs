namespace SlicerBridge.Host.Tests.Hostile;

/// <summary>Pickles that attack the unpickler and the state-dict walk (issue 15: abort, memory, quadratic work, exceptions).</summary>
internal static class PickleAttacks
{
    public static IEnumerable<HostileCase> Cases =>
    [
        // d = {}; d['a'] = d — overflowed the stack of the recursive walk (process abort).
        new("pickle", "dict-contains-itself", dir => Checkpoint(dir,
            new PickleOps().EmptyDict().Put(0).Str("a").Get(0).SetItem().Stop()), "contains itself"),
        new("pickle", "dict-contains-itself-through-model-run", dir => HostileCorpus.ModelRun(dir,
            HostileCorpus.Write(dir, "self.pth", PickleOps.Archive(new PickleOps().EmptyDict().Put(0).Str("a").Get(0).SetItem().Stop()))), "contains itself"),
        new("pickle", "dict-contains-itself-through-export-onnx", dir => ["cli", "export-onnx", "--checkpoint",
            HostileCorpus.Write(dir, "self.pth", PickleOps.Archive(new PickleOps().EmptyDict().Put(0).Str("a").Get(0).SetItem().Stop())),
            "--out", Path.Combine(dir, "onnx")], "contains itself"),
        // 200,000 nested dicts: also a stack overflow before.
        new("pickle", "dicts-nested-200k-deep", dir => Checkpoint(dir, Nested(200_000)), "nested more than 64 deep", RssBudgetMb: 256, SecondsBudget: 30),
        // 40 levels of a dict holding the level below twice: 2^40 paths from a 1.6 KB file ("billion laughs").
        new("pickle", "billion-laughs-40-levels", dir => Checkpoint(dir, Laughs(40)), "visits more than 4000000 entries", SecondsBudget: 30),
        new("pickle", "binunicode8-giant-length", dir => Checkpoint(dir,
            new PickleOps().Op(0x8d, 0xF0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF).Stop()), "a length of"),
        new("pickle", "shape-beyond-int32", dir => Checkpoint(dir, OneTensor(1L << 40, [1L << 40], [1])), "dimension outside"),
        new("pickle", "stride-shorter-than-shape", dir => Checkpoint(dir, OneTensor(6, [2, 3], [1])), "2 dimensions but 1 strides"),
        new("pickle", "element-count-overflow", dir => Checkpoint(dir,
            OneTensor(1, [int.MaxValue, int.MaxValue, int.MaxValue], [(long)int.MaxValue * int.MaxValue, int.MaxValue, 1])), "more elements than one buffer"),
        // numel × 4 overflowed past the size check into new byte[-4].
        new("pickle", "storage-size-overflow", dir => Checkpoint(dir, OneTensor(1L << 62, [1], [1])), "views a storage of"),
        // 200,000 integer keys whose default hash codes all collide: quadratic with a list scan or an unseeded hash.
        new("pickle", "colliding-dict-keys-200k", dir => Checkpoint(dir, CollidingKeys(200_000)), "holds no tensors", SecondsBudget: 15),
        new("pickle", "five-million-values", dir => Checkpoint(dir, ManyLists(5_000_000)), "more than 4000000 values", RssBudgetMb: 400, SecondsBudget: 30),
        new("pickle", "forbidden-global", dir => Checkpoint(dir,
            new PickleOps().Global("os", "system").Mark().Str("echo pwned").Tuple().Reduce().Stop()), "'os.system'"),
        // The optimizer placeholders (SAM-Med2D's pickled Adam) are inert: the Adam object cannot be called again...
        new("pickle", "optimizer-object-called", dir => Checkpoint(dir, new PickleOps().EmptyDict().Str("optimizer")
            .Global("torch.optim.adam", "Adam").Op((byte)')', 0x81).Mark().Str("echo pwned").Tuple().Reduce().SetItem().Stop()), "REDUCE of a non-callable"),
        // ...defaultdict takes nothing but a factory global...
        new("pickle", "defaultdict-given-a-mapping", dir => Checkpoint(dir, new PickleOps().EmptyDict().Str("optimizer")
            .Global("collections", "defaultdict").Global("builtins", "dict").EmptyDict().Op(0x86).Reduce().SetItem().Stop()), "defaultdict with arguments other than a factory"),
        // ...and they open the door to nothing else.
        new("pickle", "foreign-global-beside-adam", dir => Checkpoint(dir, Adam(new PickleOps().EmptyDict().Str("optimizer"), new PickleOps().EmptyDict())
            .SetItem().Str("hook").Global("os", "system").Mark().Str("echo pwned").Tuple().Reduce().SetItem().Stop()), "'os.system'"),
        // 200,000 nested defaultdicts under the model: bounded like plain dicts.
        new("pickle", "defaultdicts-nested-200k-deep", dir => Checkpoint(dir, NestedDefaultDicts(new PickleOps().EmptyDict().Str("model"), 200_000).SetItem().Stop()),
            "nested more than 64 deep", RssBudgetMb: 256, SecondsBudget: 30),
        // The same nesting as the optimizer's state: built iteratively, never walked, the model's tensor read.
        new("pickle", "defaultdicts-nested-200k-deep-in-optimizer", dir => ["read-checkpoint", HostileCorpus.Write(dir, "trained.pth", PickleOps.Archive(
            Adam(new PickleOps().EmptyDict().Str("model").EmptyDict().Str("w").Tensor("0", 2, [2], [1]).SetItem().SetItem().Str("optimizer"),
                 NestedDefaultDicts(new PickleOps().EmptyDict().Str("state"), 200_000).SetItem()).SetItem().Stop(), ("0", new[] { 1f, 2f })))],
            "1 tensors", RssBudgetMb: 256, SecondsBudget: 30, ExpectSuccess: true),
    ];

    /// <summary>A torch archive around <paramref name="pickle"/>, loaded by <c>segment --model sam-med3d</c> (the server's loading path).</summary>
    private static string[] Checkpoint(string dir, byte[] pickle) =>
        HostileCorpus.SegmentWithCheckpoint(dir, HostileCorpus.Write(dir, "hostile.pth", PickleOps.Archive(pickle)));

    private static byte[] OneTensor(long numel, long[] shape, long[] stride) =>
        new PickleOps().EmptyDict().Str("w").Tensor("0", numel, shape, stride).SetItem().Stop();

    private static byte[] Nested(int depth)
    {
        var p = new PickleOps().EmptyDict();
        for (int i = 0; i < depth; i++) p.Str("a").EmptyDict();
        for (int i = 0; i < depth; i++) p.SetItem();
        return p.Stop();
    }

    /// <summary>Appends <c>defaultdict(dict)</c> nested <paramref name="depth"/> deep under key 'a' (the value, not yet set into its parent).</summary>
    private static PickleOps NestedDefaultDicts(PickleOps p, int depth)
    {
        p.Global("collections", "defaultdict").Put(0).Global("__builtin__", "dict").Put(1).Op(0x85).Reduce();
        for (int i = 1; i < depth; i++) p.Str("a").Get(0).Get(1).Op(0x85).Reduce();
        for (int i = 1; i < depth; i++) p.SetItem();
        return p;
    }

    /// <summary>Appends <c>torch.optim.adam.Adam()</c> (NEWOBJ) and its BUILD with <paramref name="state"/> (a dict, pushed by the caller's ops).</summary>
    private static PickleOps Adam(PickleOps p, PickleOps state) =>
        p.Global("torch.optim.adam", "Adam").Op((byte)')', 0x81).Append(state).Op((byte)'b');

    private static byte[] Laughs(int levels)
    {
        // root = {'l0': d0, 'l1': d1, ...} with d(i) = {'a': d(i-1), 'b': d(i-1)}
        var p = new PickleOps().EmptyDict().Str("l0").EmptyDict().Put(0).SetItem();
        for (uint i = 1; i <= levels; i++)
            p.Str("l" + i).EmptyDict().Put(i).Str("a").Get(i - 1).SetItem().Str("b").Get(i - 1).SetItem().SetItem();
        return p.Stop();
    }

    private static byte[] CollidingKeys(int count)
    {
        var p = new PickleOps().EmptyDict().Mark();
        for (long k = 1; k <= count; k++) p.Int(k << 32 | k).Op((byte)'N'); // long.GetHashCode() = low ^ high = 0
        return p.SetItems().Stop();
    }

    private static byte[] ManyLists(int count)
    {
        var p = new PickleOps();
        for (int i = 0; i < count; i++) p.Op((byte)']');
        return p.Stop();
    }
}
