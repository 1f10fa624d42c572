using SlicerBridge.Host.Configuration;

namespace SlicerBridge.Host.Tests.Core;

public class BridgeOptionsValidatorTests
{
    private static readonly IReadOnlySet<string> Kinds = new HashSet<string>(["growcut"], StringComparer.OrdinalIgnoreCase);

    [Fact]
    public void Defaults_are_valid() => Assert.Empty(BridgeOptionsValidator.Collect(new BridgeOptions(), Kinds));

    [Fact]
    public void Every_problem_is_listed_with_its_key()
    {
        var o = new BridgeOptions();
        o.Server.BindAddress = "localhost:1";
        o.Server.Port = 70000;
        o.Server.AllowedClients = ["10.0.0.0/40"];
        o.Models.Default = "sam";
        o.Models.List.Add(new ModelEntryOptions { Name = "growcut", Kind = "growcut" });
        o.Models.List.Add(new ModelEntryOptions { Name = "x", Kind = "onnx" });
        o.Models.List.Add(new ModelEntryOptions { Name = "y", Kind = "growcut", Checkpoint = "/nonexistent/ckpt.pth" });
        o.Scheduling.QueueCapacity = 0;
        o.Protocol.MaxBodyBytes = 10;
        var errors = BridgeOptionsValidator.Collect(o, Kinds);
        Assert.Contains(errors, e => e.Contains("Server:BindAddress 'localhost:1'"));
        Assert.Contains(errors, e => e.Contains("Server:Port 70000"));
        Assert.Contains(errors, e => e.Contains("'10.0.0.0/40' is not CIDR"));
        Assert.Contains(errors, e => e.Contains("Models:Default 'sam'"));
        Assert.Contains(errors, e => e.Contains("kind 'onnx'"));
        Assert.Contains(errors, e => e.Contains("/nonexistent/ckpt.pth"));
        Assert.Contains(errors, e => e.Contains("QueueCapacity"));
        Assert.Contains(errors, e => e.Contains("MaxBodyBytes"));
        Assert.Equal(8, errors.Count);
    }
}
