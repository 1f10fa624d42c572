using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using SlicerBridge.Protocol;

namespace SlicerBridge.Protocol.Tests;

/// <summary>Exchanges messages over loopback TCP with tests/interop's igtl_peer (reference C++ OpenIGTLink 1.11, header v1).
/// Skipped with a reason when SLICERBRIDGE_INTEROP_BIN is unset or the peer is not built.</summary>
public class InteropTests
{
    private static string PeerPath()
    {
        var dir = Environment.GetEnvironmentVariable("SLICERBRIDGE_INTEROP_BIN");
        Skip.If(string.IsNullOrEmpty(dir), "SLICERBRIDGE_INTEROP_BIN is not set (scripts/test.sh builds tests/interop and sets it)");
        var path = Path.Combine(dir!, "igtl_peer");
        Skip.IfNot(File.Exists(path), $"interop peer not built: {path}");
        return path;
    }

    private static Process StartPeer(string path, params string[] args)
    {
        var psi = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi) ?? throw new InvalidOperationException("could not start " + path);
    }

    [SkippableFact]
    public async Task CppSendsAndWeDecode()
    {
        var path = PeerPath();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var peer = StartPeer(path, "send", "127.0.0.1", port.ToString());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var client = await listener.AcceptTcpClientAsync(cts.Token);
        var reader = new IgtlMessageReader(PipeReader.Create(client.GetStream()));
        var messages = new List<IgtlMessage>();
        while (await reader.ReadAsync(cts.Token) is { } m) messages.Add(m);
        await peer.WaitForExitAsync(cts.Token);
        Assert.Equal(0, peer.ExitCode);
        Assert.Equal(["STRING", "STATUS", "TRANSFORM", "POINT", "IMAGE"], messages.Select(m => m.MessageType));
        Assert.All(messages, m => Assert.Equal(1, m.HeaderVersion));

        Assert.Equal("hello from C++", ((StringMessage)messages[0]).Value);
        var status = (StatusMessage)messages[1];
        Assert.Equal((IgtlStatusCode.NotReady, -7L, "NotReady", "waiting"), (status.Code, status.SubCode, status.ErrorName, status.Message));
        Assert.Equal([0, -1, 0, 10, 1, 0, 0, -20, 0, 0, 1, 30.5], ((TransformMessage)messages[2]).GetMatrix());
        var point = Assert.Single(((PointMessage)messages[3]).Points);
        Assert.Equal(new PointElement("F-1", "Selected", 255, 0, 0, 255, 1.5f, -2.25f, 30f, 0f, ""), point);

        using var img = (ImageMessage)messages[4];
        Assert.Equal(("Oblique", IgtlScalarType.Int16, 12, 10, 6), (img.DeviceName, img.ScalarType, img.SizeI, img.SizeJ, img.SizeK));
        var voxels = new short[12 * 10 * 6];
        img.CopyPixelsTo<short>(voxels);
        for (int k = 0; k < 6; k++) for (int j = 0; j < 10; j++) for (int i = 0; i < 12; i++)
            Assert.Equal(i + 20 * j + 300 * k - 900, voxels[(k * 10 + j) * 12 + i]);
        // Geometry: spacing (0.8, 1.1, 3.0), rotation 0.4 rad about R, centre (-12.5, 33.25, 80.75).
        var m4 = img.GetIjkToRas();
        double c = Math.Cos(0.4), s = Math.Sin(0.4);
        double[] cols = [0.8, 0, 0, 0, 1.1 * c, 1.1 * s, 0, -3 * s, 3 * c];
        for (int col = 0; col < 3; col++) for (int row = 0; row < 3; row++) Assert.Equal(cols[col * 3 + row], m4[row * 4 + col], 1e-5);
        double[] centre = [-12.5, 33.25, 80.75];
        for (int row = 0; row < 3; row++)
            Assert.Equal(centre[row], m4[row * 4] * 5.5 + m4[row * 4 + 1] * 4.5 + m4[row * 4 + 2] * 2.5 + m4[row * 4 + 3], 1e-4);
    }

    [SkippableFact]
    public async Task WeSendAndCppDecodesWithCrcCheck()
    {
        var path = PeerPath();
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0)) { probe.Start(); port = ((IPEndPoint)probe.LocalEndpoint).Port; }
        using var peer = StartPeer(path, "receive", port.ToString());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.Equal($"LISTENING {port}", await peer.StandardOutput.ReadLineAsync(cts.Token));

        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, port, cts.Token);
            var writer = PipeWriter.Create(client.GetStream());
            await IgtlMessageWriter.WriteAsync(writer, new StringMessage { HeaderVersion = 1, DeviceName = "Text", Value = "hello from C#" }, cts.Token);
            await IgtlMessageWriter.WriteAsync(writer, new StatusMessage { HeaderVersion = 1, DeviceName = "Stat", Code = IgtlStatusCode.Busy, SubCode = 12, ErrorName = "Busy", Message = "later" }, cts.Token);
            var t = new TransformMessage { HeaderVersion = 1, DeviceName = "Xform" };
            t.SetMatrix([0, -1, 0, 10, 1, 0, 0, -20, 0, 0, 1, 30.5]);
            await IgtlMessageWriter.WriteAsync(writer, t, cts.Token);
            var p = new PointMessage { HeaderVersion = 1, DeviceName = "Pts" };
            p.Points.Add(new PointElement("A", "Selected", 1, 2, 3, 255, 1.5f, 2.5f, -3.5f, 0, ""));
            await IgtlMessageWriter.WriteAsync(writer, p, cts.Token);
            var voxels = new short[12 * 10 * 6];
            for (int v = 0; v < voxels.Length; v++) voxels[v] = (short)(v - 300);
            using var img = new ImageMessage("Mask", IgtlScalarType.Int16, 1, 12, 10, 6, MemoryMarshal.AsBytes(voxels.AsSpan()).ToArray()) { HeaderVersion = 1 };
            img.SetIjkToRas([0.8, 0, 0, -10, 0, 1.1, 0, 20, 0, 0, 3, 30]);
            await IgtlMessageWriter.WriteAsync(writer, img, cts.Token);
            await writer.CompleteAsync();
        }
        var lines = new List<string>();
        while (await peer.StandardOutput.ReadLineAsync(cts.Token) is { } line) lines.Add(line);
        await peer.WaitForExitAsync(cts.Token);
        Assert.Equal(0, peer.ExitCode);
        long sum = Enumerable.Range(0, 720).Sum(v => (long)(v - 300));
        Assert.Equal(
        [
            "STRING Text enc=3 value=hello from C#",
            "STATUS Stat code=6 sub=12 name=Busy msg=later",
            "TRANSFORM Xform 0.0000 -1.0000 0.0000 10.0000 1.0000 0.0000 0.0000 -20.0000 0.0000 0.0000 1.0000 30.5000",
            "POINT Pts n=1 [A|Selected|1,2,3,255|1.500|2.500|-3.500]".Replace("|1.500|2.500|", "|1.500,2.500,"),
            $"IMAGE Mask type=4 comps=1 size=12,10,6 endian=2 coord=1 sum={sum} T=0.80000,0.00000,0.00000 S=0.00000,1.10000,0.00000 N=0.00000,0.00000,3.00000 P=-5.60000,24.95000,37.50000",
            "END",
        ], lines);
    }
}
