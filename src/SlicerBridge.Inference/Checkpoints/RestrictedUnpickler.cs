using System.Buffers.Binary;
using System.Text;

namespace SlicerBridge.Inference.Checkpoints;

/// <summary>
/// A pickle reader (protocols 2–5) that understands only what a PyTorch state dict needs: containers, numbers,
/// strings, <c>collections.OrderedDict</c>, tensor rebuilding and typed storages, plus the few globals of a training
/// optimizer pickled beside the model (SAM-Med2D's <c>{'model': ..., 'optimizer': Adam}</c>), which become inert
/// placeholders (<see cref="OptimizerPlaceholders"/>). Any other global is rejected with its name; nothing is ever executed. Work and memory are bounded by the pickle's length and
/// <see cref="CheckpointLimits.MaxPickleValues"/>; every length read from the data is checked against what is left.
/// </summary>
internal sealed class RestrictedUnpickler
{
    private static readonly HashSet<string> AllowedGlobals =
    [
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch.FloatStorage", "torch.DoubleStorage", "torch.HalfStorage", "torch.BFloat16Storage",
        "torch.LongStorage", "torch.IntStorage", "torch.ByteStorage", "torch.BoolStorage",
    ];

    /// <summary>
    /// Globals accepted only as inert stand-ins: calling <c>Adam</c> yields a <see cref="PickleOpaque"/> whose BUILD
    /// state is dropped; <c>defaultdict(factory)</c> and <c>dict()</c> yield an empty dict for the SETITEMs that follow.
    /// Nothing under them is a model tensor unless the file puts it under the state dict.
    /// </summary>
    private static readonly HashSet<string> OptimizerPlaceholders =
    [
        "torch.optim.adam.Adam",
        "collections.defaultdict",
        "__builtin__.dict", "builtins.dict",
    ];

    private const int MaxGlobalNameLength = 256;
    private readonly byte[] _data;
    private readonly string _source;
    private readonly long _maxValues;
    private readonly List<object?> _stack = [];
    private readonly List<int> _marks = []; // stack positions of the open MARKs, innermost last
    private readonly Dictionary<long, object?> _memo = [];
    private long _values;
    private int _pos;

    public RestrictedUnpickler(byte[] data, string source, CheckpointLimits? limits = null)
    {
        _data = data;
        _source = source;
        _maxValues = (limits ?? CheckpointLimits.Default).MaxPickleValues;
    }

    public object? Load()
    {
        while (true)
        {
            byte op = ReadByte();
            switch (op)
            {
                case 0x80: ReadByte(); break;                                  // PROTO
                case 0x95: Skip(8); break;                                     // FRAME
                case (byte)'}': Push(new PickleDict()); break;                 // EMPTY_DICT
                case (byte)']': Push(new List<object?>()); break;              // EMPTY_LIST
                case (byte)')': Push(Array.Empty<object?>()); break;           // EMPTY_TUPLE
                case (byte)'(': Count(); _marks.Add(_stack.Count); break;      // MARK
                case (byte)'t': Push(PopToMark().ToArray()); break;            // TUPLE
                case 0x85: Push(new[] { Pop() }); break;                       // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); Push(new[] { a, b }); break; }
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new[] { a, b, c }); break; }
                case (byte)'X': Push(ReadString(ReadU32())); break;            // BINUNICODE
                case 0x8c: Push(ReadString(ReadByte())); break;                // SHORT_BINUNICODE
                case 0x8d: Push(ReadString(ReadU64())); break;                 // BINUNICODE8
                case (byte)'T': Push(ReadString(ReadU32())); break;            // BINSTRING
                case (byte)'U': Push(ReadString(ReadByte())); break;           // SHORT_BINSTRING
                case (byte)'B': Push(ReadBytes(ReadU32())); break;             // BINBYTES
                case (byte)'C': Push(ReadBytes(ReadByte())); break;            // SHORT_BINBYTES
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break;  // BININT
                case (byte)'K': Push((long)ReadByte()); break;                 // BININT1
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break; // BININT2
                case 0x8a: Push(ReadLong1()); break;                           // LONG1
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break;          // BINFLOAT
                case 0x88: Push(true); break;                                  // NEWTRUE
                case 0x89: Push(false); break;                                 // NEWFALSE
                case (byte)'N': Push(null); break;                             // NONE
                case (byte)'c': Push(Global(ReadLine(), ReadLine())); break;   // GLOBAL
                case 0x93: { var name = Pop(); var module = Pop(); Push(Global(AsString(module), AsString(name))); break; } // STACK_GLOBAL
                case (byte)'R': { var args = AsTuple(Pop()); Push(Reduce(Pop(), args)); break; }   // REDUCE
                case 0x81: { var args = AsTuple(Pop()); Push(Reduce(Pop(), args)); break; }        // NEWOBJ
                case (byte)'b': Pop(); Peek(); break;                          // BUILD: state (OrderedDict _metadata, hooks, an optimizer's fields) is not needed
                case (byte)'Q': Push(PersistentLoad(Pop())); break;            // BINPERSID
                case (byte)'q': Memoize(ReadByte()); break;                    // BINPUT
                case (byte)'r': Memoize(ReadU32()); break;                     // LONG_BINPUT
                case 0x94: Memoize(_memo.Count); break;                        // MEMOIZE
                case (byte)'h': Push(MemoGet(ReadByte())); break;              // BINGET
                case (byte)'j': Push(MemoGet(ReadU32())); break;               // LONG_BINGET
                case (byte)'s': { var v = Pop(); var k = Pop(); AsDict(Peek()).Set(Key(k), v); break; } // SETITEM
                case (byte)'u':                                                // SETITEMS
                {
                    var items = PopToMark();
                    if (items.Count % 2 != 0) throw Corrupt("SETITEMS with an odd number of values");
                    var dict = AsDict(Peek());
                    for (int i = 0; i < items.Count; i += 2) dict.Set(Key(items[i]), items[i + 1]);
                    break;
                }
                case (byte)'a': { var v = Pop(); AsList(Peek()).Add(v); break; }         // APPEND
                case (byte)'e': { var items = PopToMark(); AsList(Peek()).AddRange(items); break; } // APPENDS
                case (byte)'.': return _stack.Count == 1 && _marks.Count == 0 ? Pop() : throw Corrupt("STOP with a stack of " + _stack.Count);
                default:
                    throw new CheckpointException($"{_source}: pickle opcode 0x{op:X2} at byte {_pos - 1} is not supported in a state dict.");
            }
        }
    }

    private PickleGlobal Global(string module, string name)
    {
        var global = new PickleGlobal(module, name);
        if (!AllowedGlobals.Contains(global.FullName) && !OptimizerPlaceholders.Contains(global.FullName))
            throw new CheckpointException($"{_source}: the pickle references '{Text.Clip(global.FullName)}', which a state dict never needs; refusing to load it (only tensors, storages, OrderedDict and an Adam optimizer's placeholders are allowed).");
        return global;
    }

    private object Reduce(object? callable, object?[] args)
    {
        if (callable is not PickleGlobal g) throw Corrupt("REDUCE of a non-callable");
        switch (g.FullName)
        {
            case "collections.OrderedDict":
                return new PickleDict();
            case "torch._utils._rebuild_tensor_v2":
                if (args.Length < 4 || args[0] is not PickleStorage storage) throw Corrupt("_rebuild_tensor_v2 without a storage");
                return new PickleTensor(storage, AsLong(args[1]), AsTuple(args[2]).Select(AsLong).ToArray(), AsTuple(args[3]).Select(AsLong).ToArray());
            case "torch._utils._rebuild_parameter":
                return args.Length > 0 && args[0] is PickleTensor t ? t : throw Corrupt("_rebuild_parameter without a tensor");
            case "torch.optim.adam.Adam":
                return new PickleOpaque(g);
            case "collections.defaultdict":
                // defaultdict.__reduce__ gives (factory,); the factory is never called, so it only has to be a global or None.
                return args.Length == 0 || args.Length == 1 && args[0] is null or PickleGlobal ? new PickleDict() : throw Corrupt("defaultdict with arguments other than a factory");
            case "__builtin__.dict" or "builtins.dict":
                return args.Length == 0 ? new PickleDict() : throw Corrupt("dict called with arguments");
            default:
                throw new CheckpointException($"{_source}: '{Text.Clip(g.FullName)}' cannot be called while loading a state dict.");
        }
    }

    private PickleStorage PersistentLoad(object? pid)
    {
        // ('storage', torch.FloatStorage, '<key>', '<location>', numel)
        var t = AsTuple(pid);
        if (t.Length < 5 || t[0] is not "storage" || t[1] is not PickleGlobal type)
            throw Corrupt("a persistent id that is not a tensor storage");
        var dtype = type.Name switch
        {
            "FloatStorage" => CheckpointDType.Float32,
            "DoubleStorage" => CheckpointDType.Float64,
            "HalfStorage" => CheckpointDType.Float16,
            "BFloat16Storage" => CheckpointDType.BFloat16,
            "LongStorage" => CheckpointDType.Int64,
            "IntStorage" => CheckpointDType.Int32,
            "ByteStorage" => CheckpointDType.UInt8,
            "BoolStorage" => CheckpointDType.Bool,
            _ => throw Corrupt($"storage type {Text.Clip(type.FullName)}"),
        };
        return new PickleStorage(Text.Clip(AsString(t[2]), MaxGlobalNameLength), dtype, AsLong(t[4]));
    }

    private object Key(object? key) => key ?? throw Corrupt("a dict key is None");

    private void Memoize(long index)
    {
        Count();
        _memo[index] = Peek();
    }

    private void Count()
    {
        if (++_values > _maxValues)
            throw new CheckpointException($"{_source}: the pickle builds more than {_maxValues} values; a state dict needs far fewer (limit MaxPickleValues).");
    }

    private object? MemoGet(long index) => _memo.TryGetValue(index, out var v) ? v : throw Corrupt($"memo entry {index} read before it was written");

    private List<object?> PopToMark()
    {
        if (_marks.Count == 0) throw Corrupt("missing MARK");
        int mark = _marks[^1];
        _marks.RemoveAt(_marks.Count - 1);
        var items = _stack.GetRange(mark, _stack.Count - mark);
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private void Push(object? value)
    {
        Count();
        _stack.Add(value);
    }

    /// <summary>Stack depth below which the innermost MARK's frame may not reach.</summary>
    private int Floor => _marks.Count > 0 ? _marks[^1] : 0;

    private object? Pop()
    {
        if (_stack.Count <= Floor) throw Corrupt("stack underflow");
        var v = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    private object? Peek() => _stack.Count > Floor ? _stack[^1] : throw Corrupt("stack underflow");

    private PickleDict AsDict(object? o) => o as PickleDict ?? throw Corrupt("SETITEM on something that is not a dict");
    private List<object?> AsList(object? o) => o as List<object?> ?? throw Corrupt("APPEND on something that is not a list");
    private object?[] AsTuple(object? o) => o as object?[] ?? throw Corrupt("expected a tuple");
    private string AsString(object? o) => o as string ?? throw Corrupt("expected a string");
    private long AsLong(object? o) => o switch { long l => l, bool b => b ? 1 : 0, _ => throw Corrupt("expected an integer") };

    private byte ReadByte() => _pos < _data.Length ? _data[_pos++] : throw Corrupt("unexpected end of data");
    private ReadOnlySpan<byte> Take(ulong n)
    {
        if (n > (ulong)(_data.Length - _pos)) throw Corrupt($"a length of {n} bytes where {_data.Length - _pos} are left");
        var span = _data.AsSpan(_pos, (int)n);
        _pos += (int)n;
        return span;
    }
    private void Skip(int n) => Take((ulong)n);
    private uint ReadU32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
    private ulong ReadU64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
    private string ReadString(ulong n) => Encoding.UTF8.GetString(Take(n));
    private byte[] ReadBytes(ulong n) => Take(n).ToArray();

    private string ReadLine()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _pos, Math.Min(_data.Length - _pos, MaxGlobalNameLength + 1));
        if (end < 0) throw Corrupt($"a GLOBAL name that is unterminated or longer than {MaxGlobalNameLength} bytes");
        var s = Encoding.ASCII.GetString(_data, _pos, end - _pos);
        _pos = end + 1;
        return s;
    }

    private long ReadLong1()
    {
        int n = ReadByte();
        if (n > 8) throw Corrupt($"integer of {n} bytes");
        var bytes = Take((ulong)n);
        long v = 0;
        for (int i = n - 1; i >= 0; i--) v = (v << 8) | bytes[i];
        if (n is > 0 and < 8 && (bytes[n - 1] & 0x80) != 0) v -= 1L << (8 * n); // two's complement sign
        return v;
    }

    private CheckpointException Corrupt(string what) => new($"{_source}: corrupt pickle ({what}) at byte {_pos}.");
}
