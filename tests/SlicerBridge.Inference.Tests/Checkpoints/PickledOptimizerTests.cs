using SlicerBridge.Inference.Checkpoints;

namespace SlicerBridge.Inference.Tests.Checkpoints;

/// <summary>
/// A training checkpoint {'model': state_dict, 'optimizer': torch.optim.Adam} (SAM-Med2D's released format): the Adam
/// object and its defaultdict/dict become inert placeholders, only the model's tensors are exposed, and any other use of
/// those globals, or any other global, is still refused.
/// </summary>
public sealed class PickledOptimizerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sb-optim-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Adam() rebuilt by NEWOBJ, then BUILD with {'state': defaultdict(dict) {param: {'exp_avg': cuda tensor}}, 'param_groups': [...]}.</summary>
    private static PickleBuilder Adam(PickleBuilder p, string dictModule = "__builtin__") => p
        .Global("torch.optim.adam", "Adam").EmptyTuple().NewObj()
        .EmptyDict()
        .Str("state").Global("collections", "defaultdict").Global(dictModule, "dict").Op(0x85).Reduce()
            .TensorOn("cuda:0", "0", 4, 4)                                // the key: a Parameter sharing the model's storage
            .Global(dictModule, "dict").EmptyTuple().Reduce()
                .Str("exp_avg").TensorOn("cuda:0", "9", 4, 4).SetItem()  // a storage the archive does not even hold
            .SetItem()
        .SetItem()
        .Str("param_groups").Op((byte)']').EmptyDict().Str("lr").Op((byte)'G', 0x3F, 0x1A, 0x36, 0xE2, 0xEB, 0x1C, 0x43, 0x2D).SetItem().Op((byte)'a').SetItem()
        .Build();

    private string Write(string name, byte[] pickle) =>
        PickleBuilder.WriteArchive(Path.Combine(_dir, name), pickle, new Dictionary<string, float[]> { ["0"] = [1, 2, 3, 4] });

    [Theory]
    [InlineData("__builtin__")]
    [InlineData("builtins")]
    public void OnlyTheModelsTensorsAreExposed_AndRead(string dictModule)
    {
        var p = new PickleBuilder().EmptyDict()
            .Str("model").Global("collections", "OrderedDict").EmptyTuple().Reduce().Str("w").Tensor("0", 4, 4).SetItem().SetItem()
            .Str("optimizer");
        var pickle = Adam(p, dictModule).SetItem().Stop();
        using var checkpoint = CheckpointReader.Open(Write("trained.pth", pickle));
        Assert.Equal(["w"], checkpoint.Tensors.Select(t => t.Name));
        var w = new float[4];
        checkpoint.ReadFloat32("w", w);
        Assert.Equal([1f, 2, 3, 4], w);
    }

    [Fact]
    public void AnOptimizerWithoutAModelHoldsNoTensors()
    {
        var pickle = Adam(new PickleBuilder().EmptyDict().Str("optimizer")).SetItem().Stop();
        Assert.Contains("holds no tensors", Assert.Throws<CheckpointException>(() => CheckpointReader.Open(Write("optim-only.pth", pickle))).Message);
    }

    public static TheoryData<string, string> Misuses => new()
    {
        // SETITEM on the Adam object: it is not a dict.
        { "adam-setitem", "SETITEM on something that is not a dict" },
        // the Adam object called again
        { "adam-instance-called", "REDUCE of a non-callable" },
        // Adam as a storage type
        { "adam-as-storage", "a persistent id that is not a tensor storage" },
        // defaultdict(dict, {...}): not what defaultdict.__reduce__ writes
        { "defaultdict-two-arguments", "defaultdict with arguments other than a factory" },
        // defaultdict('x'): a factory that is not a global
        { "defaultdict-string-factory", "defaultdict with arguments other than a factory" },
        // dict({...}): copying would be work the file chooses
        { "dict-with-arguments", "dict called with arguments" },
        // Adam(...) where a tensor is required
        { "adam-as-parameter", "_rebuild_parameter without a tensor" },
    };

    [Theory]
    [MemberData(nameof(Misuses))]
    public void AnyOtherUseOfThePlaceholdersIsRefused(string misuse, string reason)
    {
        var p = new PickleBuilder().EmptyDict().Str("model");
        p = misuse switch
        {
            "adam-setitem" => p.Global("torch.optim.adam", "Adam").EmptyTuple().NewObj().Str("k").Int(1).SetItem(),
            "adam-instance-called" => p.Global("torch.optim.adam", "Adam").EmptyTuple().NewObj().EmptyTuple().Reduce(),
            "adam-as-storage" => p.Global("torch._utils", "_rebuild_tensor_v2").Mark()
                .Mark().Str("storage").Global("torch.optim.adam", "Adam").EmptyTuple().NewObj().Str("0").Str("cpu").Int(4).Tuple().Op((byte)'Q'),
            "defaultdict-two-arguments" => p.Global("collections", "defaultdict").Global("builtins", "dict").EmptyDict().Op(0x86).Reduce(),
            "defaultdict-string-factory" => p.Global("collections", "defaultdict").Str("x").Op(0x85).Reduce(),
            "dict-with-arguments" => p.Global("builtins", "dict").EmptyDict().Op(0x85).Reduce(),
            "adam-as-parameter" => p.Global("torch._utils", "_rebuild_parameter").Global("torch.optim.adam", "Adam").EmptyTuple().NewObj().Op(0x85).Reduce(),
            _ => throw new ArgumentOutOfRangeException(nameof(misuse)),
        };
        var ex = Assert.Throws<CheckpointException>(() => CheckpointReader.Open(Write(misuse + ".pth", p.SetItem().Stop())));
        Assert.Contains(reason, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void AForeignGlobalBesideTheOptimizerIsStillRefused()
    {
        var p = new PickleBuilder().EmptyDict()
            .Str("model").EmptyDict().Str("w").Tensor("0", 4, 4).SetItem().SetItem()
            .Str("optimizer");
        var pickle = Adam(p).SetItem()
            .Str("hook").Global("os", "system").Mark().Str("echo pwned").Tuple().Reduce().SetItem().Stop();
        Assert.Contains("'os.system'", Assert.Throws<CheckpointException>(() => CheckpointReader.Open(Write("foreign.pth", pickle))).Message);
    }

    [Fact]
    public void TheGlobalsOfOtherOptimizersAreNotAccepted()
    {
        var pickle = new PickleBuilder().EmptyDict().Str("optimizer").Global("torch.optim.sgd", "SGD").EmptyTuple().NewObj().SetItem().Stop();
        Assert.Contains("'torch.optim.sgd.SGD'", Assert.Throws<CheckpointException>(() => CheckpointReader.Open(Write("sgd.pth", pickle))).Message);
    }
}
