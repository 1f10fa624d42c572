namespace SlicerBridge.Inference.Checkpoints;

/// <summary>A global the restricted unpickler allowed (e.g. <c>torch._utils._rebuild_tensor_v2</c>).</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    public string FullName => Module + "." + Name;
}

/// <summary>A dict (plain or OrderedDict) in insertion order; keys are looked up through a hash index.</summary>
internal sealed class PickleDict
{
    private List<KeyValuePair<object, object?>>? _items;
    private Dictionary<object, int>? _index;

    public IReadOnlyList<KeyValuePair<object, object?>> Items => (IReadOnlyList<KeyValuePair<object, object?>>?)_items ?? [];

    /// <summary>Sets a key; an existing key keeps its position and takes the new value, as in Python.</summary>
    public void Set(object key, object? value)
    {
        _items ??= [];
        _index ??= new Dictionary<object, int>(PickleKeyComparer.Instance);
        if (_index.TryGetValue(key, out int i)) _items[i] = new(key, value);
        else
        {
            _index[key] = _items.Count;
            _items.Add(new(key, value));
        }
    }

    public object? Get(string key) => _index is not null && _index.TryGetValue(key, out int i) ? _items![i].Value : null;
}

/// <summary>
/// Dict key equality as Python has it for the keys a state dict uses (strings, integers, floats; anything else by
/// identity), with hash codes seeded per process so that a file cannot choose colliding keys (boxed integers hash
/// predictably on their own).
/// </summary>
internal sealed class PickleKeyComparer : IEqualityComparer<object>
{
    public static readonly PickleKeyComparer Instance = new();

    public new bool Equals(object? x, object? y) => x switch
    {
        string or long or double or bool => object.Equals(x, y),
        _ => ReferenceEquals(x, y),
    };

    public int GetHashCode(object obj) => obj switch
    {
        string s => s.GetHashCode(StringComparison.Ordinal),
        long l => HashCode.Combine((int)l, (int)(l >> 32)),
        double d => HashCode.Combine((int)BitConverter.DoubleToInt64Bits(d), (int)(BitConverter.DoubleToInt64Bits(d) >> 32)),
        bool b => b ? 1 : 0,
        _ => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj),
    };
}

/// <summary>The storage a tensor views: an entry <c>data/&lt;Key&gt;</c> of the archive holding <see cref="ElementCount"/> elements.</summary>
internal sealed record PickleStorage(string Key, CheckpointDType DType, long ElementCount);

/// <summary>A tensor as <c>_rebuild_tensor_v2</c> describes it (shape and stride as the pickle gives them; checked by the reader).</summary>
internal sealed record PickleTensor(PickleStorage Storage, long StorageOffset, long[] Shape, long[] Stride);

/// <summary>
/// An instance of a placeholder class (a pickled optimizer): it holds nothing, its BUILD state is discarded, and it is
/// neither a dict nor a tensor, so the state-dict walk passes over it.
/// </summary>
internal sealed class PickleOpaque(PickleGlobal type)
{
    public PickleGlobal Type { get; } = type;
    public override string ToString() => "<" + Type.FullName + " object>";
}
