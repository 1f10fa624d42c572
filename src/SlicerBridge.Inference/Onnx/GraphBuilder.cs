using Google.Protobuf;
using Onnx;

namespace SlicerBridge.Inference.Onnx;

/// <summary>
/// Builds one ONNX graph in memory: inputs, outputs, weights (external data in a <see cref="WeightSet"/>'s file),
/// small constants (inlined) and nodes. Op calls compute nothing; they append a node and return the name of its output,
/// named after the current scope (<c>blk.3.attn.logits</c>) so that any intermediate can be found and compared.
/// The graph computes in its <see cref="Precision"/>: in fp16 graphs, float inputs, weights and constants are cast to
/// float16 where they enter (weights once, folded into fp16 initializers when the session is made) and outputs back to
/// float32, so callers always exchange float32; <see cref="InputFp32"/>, <see cref="WeightFp32"/> and
/// <see cref="ConstantFp32"/> keep a part in float32 where fp16 would lose what matters (e.g. Fourier features).
/// </summary>
public sealed partial class GraphBuilder
{
    public const int Opset = 18;
    private readonly GraphProto _graph;
    private readonly WeightSet _weights;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly HashSet<string> _declaredWeights = new(StringComparer.Ordinal);
    private readonly Stack<string> _scopes = new();
    private int _constants;

    private readonly Dictionary<string, string> _computeWeights = new(StringComparer.Ordinal);

    public GraphBuilder(string name, WeightSet weights, ModelPrecision precision = ModelPrecision.Fp32)
    {
        _graph = new GraphProto { Name = name };
        _weights = weights;
        Precision = precision;
    }

    public ModelPrecision Precision { get; }

    private bool Half => Precision == ModelPrecision.Fp16;

    /// <summary>The most negative number safe to add in the compute type (a mask value: exp of it is 0).</summary>
    public float MaskValue => Half ? -60000f : -1e30f;

    /// <summary>A float32 value in the compute type.</summary>
    public string ToCompute(string x) => Half ? Cast(x, TensorProto.Types.DataType.Float16) : x;

    /// <summary>A compute-type value in float32.</summary>
    public string ToFloat32(string x) => Half ? Cast(x, TensorProto.Types.DataType.Float) : x;

    public string Cast(string x, TensorProto.Types.DataType to) => Node("Cast", [x], null, ("to", (int)to));

    public WeightSet Weights => _weights;

    /// <summary>The weights this graph declares (to hand to the session).</summary>
    public IReadOnlyCollection<string> DeclaredWeights => _declaredWeights;

    /// <summary>Names the nodes created until the returned scope is disposed <c>outer.inner.name</c>.</summary>
    public IDisposable Scope(string name)
    {
        _scopes.Push(name);
        return new ScopeExit(_scopes);
    }

    /// <summary>A float32 graph input, in the compute type; a dimension is a number or a symbolic name (e.g. "clicks").</summary>
    public string Input(string name, params object[] dims) => ToCompute(Input(name, TensorProto.Types.DataType.Float, dims));

    /// <summary>A float32 graph input that stays float32.</summary>
    public string InputFp32(string name, params object[] dims) => Input(name, TensorProto.Types.DataType.Float, dims);

    public string Input(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        Claim(name);
        _graph.Input.Add(ValueInfo(name, type, dims));
        return name;
    }

    /// <summary>Makes <paramref name="value"/> (in the compute type) a float32 graph output named <paramref name="name"/>.</summary>
    public void Output(string value, string name, params object[] dims) => Output(ToFloat32(value), name, TensorProto.Types.DataType.Float, dims);

    public void Output(string value, string name, TensorProto.Types.DataType type, params object[] dims)
    {
        if (value != name)
        {
            Claim(name);
            _graph.Node.Add(new NodeProto { OpType = "Identity", Name = name, Input = { value }, Output = { name } });
        }
        _graph.Output.Add(ValueInfo(name, type, dims));
    }

    /// <summary>A checkpoint weight in the compute type.</summary>
    public string Weight(string name)
    {
        var stored = WeightFp32(name);
        if (!Half) return stored;
        if (!_computeWeights.TryGetValue(name, out var cast)) _computeWeights[name] = cast = ToCompute(stored);
        return cast;
    }

    /// <summary>A checkpoint weight as a float32 initializer whose data is in the weight set's file.</summary>
    public string WeightFp32(string name)
    {
        if (_declaredWeights.Add(name))
        {
            Claim(name);
            _graph.Initializer.Add(_weights.Declare(name));
        }
        return name;
    }

    /// <summary>A checkpoint weight seen with another shape over the same data (see <see cref="WeightSet.SetView"/>).</summary>
    public string Weight(string name, params long[] view)
    {
        _weights.SetView(name, view);
        return Weight(name);
    }

    /// <summary>A small constant tensor in the compute type, stored in the graph itself.</summary>
    public string Constant(float[] values, params long[] dims) => ToCompute(ConstantFp32(values, dims));

    /// <summary>A small float32 constant tensor, stored in the graph itself.</summary>
    public string ConstantFp32(float[] values, params long[] dims)
    {
        var t = NewConstant(TensorProto.Types.DataType.Float, dims);
        t.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return t.Name;
    }

    public string Constant(long[] values, params long[] dims)
    {
        var t = NewConstant(TensorProto.Types.DataType.Int64, dims);
        t.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return t.Name;
    }

    public string Scalar(float value) => Constant([value]);

    public string ScalarFp32(float value) => ConstantFp32([value]);

    /// <summary>An int64 vector constant (shapes, axes, indices).</summary>
    public string Ints(params long[] values) => Constant(values, values.Length);

    /// <summary>Appends a node with one output, named <c>scope.name</c> (or after its op).</summary>
    public string Node(string opType, string[] inputs, string? name = null, params (string Name, object Value)[] attributes) =>
        Node(opType, inputs, 1, name, attributes)[0];

    public string[] Node(string opType, string[] inputs, int outputs, string? name, params (string Name, object Value)[] attributes)
    {
        string baseName = Unique(Scoped(name ?? opType.ToLowerInvariant()));
        var node = new NodeProto { OpType = opType, Name = baseName };
        node.Input.AddRange(inputs);
        var outs = new string[outputs];
        for (int i = 0; i < outputs; i++)
        {
            outs[i] = i == 0 ? baseName : Unique($"{baseName}:{i}");
            node.Output.Add(outs[i]);
        }
        foreach (var (attrName, value) in attributes) node.Attribute.Add(Attribute(attrName, value));
        _graph.Node.Add(node);
        return outs;
    }

    public ModelProto Build(string producer = "SlicerBridge")
    {
        var model = new ModelProto { IrVersion = 9, ProducerName = producer, Graph = _graph.Clone() };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return model;
    }

    private TensorProto NewConstant(TensorProto.Types.DataType type, long[] dims)
    {
        string name = Unique(Scoped($"const{_constants++}"));
        var t = new TensorProto { Name = name, DataType = (int)type };
        t.Dims.AddRange(dims);
        _graph.Initializer.Add(t);
        return t;
    }

    private string Scoped(string name) => _scopes.Count == 0 ? name : string.Join('.', _scopes.Reverse()) + "." + name;

    private string Unique(string name)
    {
        if (_names.Add(name)) return name;
        for (int i = 1; ; i++)
            if (_names.Add($"{name}_{i}")) return $"{name}_{i}";
    }

    private void Claim(string name)
    {
        if (!_names.Add(name)) throw new InvalidOperationException($"Graph '{_graph.Name}' already has a value named '{name}'.");
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d switch
            {
                int n => new TensorShapeProto.Types.Dimension { DimValue = n },
                long n => new TensorShapeProto.Types.Dimension { DimValue = n },
                string s => new TensorShapeProto.Types.Dimension { DimParam = s },
                _ => throw new ArgumentException($"Dimension {d} of '{name}' must be a number or a name."),
            });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    private static AttributeProto Attribute(string name, object value) => value switch
    {
        int i => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = i },
        long l => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = l },
        float f => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = f },
        string s => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(s) },
        long[] ls => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { ls } },
        int[] ints => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { ints.Select(x => (long)x) } },
        _ => throw new ArgumentException($"Attribute '{name}' has an unsupported type {value.GetType().Name}."),
    };

    private sealed class ScopeExit(Stack<string> scopes) : IDisposable
    {
        private bool _done;
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            scopes.Pop();
        }
    }
}
