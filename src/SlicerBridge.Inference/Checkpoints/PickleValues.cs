namespace SlicerBridge.Inference.Checkpoints;

/// <summary>A global the restricted unpickler allowed (e.g. <c>torch._utils._rebuild_tensor_v2</c>).</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    public string FullName => Module + "." + Name;
}

/// <summary>A dict (plain or OrderedDict) in insertion order.</summary>
internal sealed class PickleDict
{
    public List<KeyValuePair<object, object?>> Items { get; } = [];
    public void Set(object key, object? value)
    {
        int i = Items.FindIndex(kv => Equals(kv.Key, key));
        if (i >= 0) Items[i] = new(key, value); else Items.Add(new(key, value));
    }
    public object? Get(string key) => Items.FirstOrDefault(kv => kv.Key is string s && s == key).Value;
}

/// <summary>The storage a tensor views: an entry <c>data/&lt;Key&gt;</c> of the archive holding <see cref="ElementCount"/> elements.</summary>
internal sealed record PickleStorage(string Key, CheckpointDType DType, long ElementCount);

/// <summary>A tensor as <c>_rebuild_tensor_v2</c> describes it.</summary>
internal sealed record PickleTensor(PickleStorage Storage, long StorageOffset, int[] Shape, long[] Stride);
