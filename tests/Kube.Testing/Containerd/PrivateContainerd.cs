using System.Diagnostics;
using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text.Json;

namespace Kube.Testing.Containerd;

/// <summary>
/// A containerd of the test's own (its root, state, socket and CRI config under a temp dir), with two images built
/// from Debian's busybox-static and imported: <see cref="BusyboxImage"/> (/bin/sh) and <see cref="PauseImage"/>
/// (busybox sleep, the sandbox image). Disposing runs <see cref="BeforeStopAsync"/> (e.g. removing every sandbox
/// through CRI), kills containerd and the shims, unmounts what is left under the temp dir and deletes it.
/// </summary>
public sealed class PrivateContainerd : IAsyncDisposable
{
    public const string InstallCommand = "apt-get install -y containerd runc busybox-static";
    public const string BusyboxImage = "k8s.test/busybox:1";
    public const string PauseImage = "k8s.test/pause:1";

    private static readonly TimeSpan CtrTimeout = TimeSpan.FromSeconds(30);
    private Process? _containerd;

    private PrivateContainerd(string dir) => Dir = dir;

    public string Dir { get; }

    public string Socket => Path.Combine(Dir, "containerd.sock");

    public string LogFile => Path.Combine(Dir, "containerd.log");

    /// <summary>Runs first when the instance is disposed, while containerd still serves (e.g. to remove sandboxes through CRI).</summary>
    public Func<Task>? BeforeStopAsync { get; set; }

    /// <summary>Why the test cannot run here (a missing tool, with the install command), or null.</summary>
    public static string? MissingTool() =>
        ToolPath.Missing(InstallCommand, "containerd", "ctr", "runc", "containerd-shim-runc-v2")
        ?? (BusyboxPath() is null ? $"busybox-static is not installed: {InstallCommand}" : null);

    public static async Task<PrivateContainerd> StartAsync(CancellationToken cancellationToken)
    {
        // Short: the socket path must fit a sockaddr_un (108 bytes).
        var dir = Path.Combine("/tmp", $"kcri-{Guid.NewGuid():N}"[..13]);
        Directory.CreateDirectory(dir);
        var c = new PrivateContainerd(dir);
        try
        {
            await c.StartProcessAsync(cancellationToken);
            await c.ImportAsync(BusyboxImage, ["/bin/sh"], cancellationToken);
            await c.ImportAsync(PauseImage, ["/bin/sleep", "2147483647"], cancellationToken);
            if (!await Wait.UntilAsync(c.ImagesListedAsync, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50)))
            {
                throw new TimeoutException("the imported images did not show up in ctr images ls");
            }

            return c;
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    public string ReadLog() => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";

    private Task<ToolResult> CtrAsync(string[] args, CancellationToken cancellationToken) =>
        ProcessRunner.RunAsync("ctr", ["--address", Socket, .. args], timeout: CtrTimeout, cancellationToken: cancellationToken);

    private async Task StartProcessAsync(CancellationToken cancellationToken)
    {
        var config = Path.Combine(Dir, "config.toml");
        await File.WriteAllTextAsync(config, $"""
            version = 2
            root = "{Dir}/root"
            state = "{Dir}/state"
            [grpc]
              address = "{Socket}"
            [ttrpc]
              address = "{Socket}.ttrpc"
            [debug]
              address = ""
            [plugins."io.containerd.grpc.v1.cri"]
              sandbox_image = "{PauseImage}"
              # This machine refuses negative oom_score_adj values (the sandbox asks for -998): clamp them to ours.
              restrict_oom_score_adj = true
              [plugins."io.containerd.grpc.v1.cri".containerd]
                snapshotter = "overlayfs"
              [plugins."io.containerd.grpc.v1.cri".cni]
                bin_dir = "{Dir}/cni/bin"
                conf_dir = "{Dir}/cni/conf"
            """, cancellationToken);
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"exec containerd --config '{config}' >'{LogFile}' 2>&1");
        _containerd = Process.Start(psi) ?? throw new InvalidOperationException("containerd did not start");

        var serving = await Wait.UntilAsync(async () =>
        {
            if (_containerd.HasExited)
            {
                throw new InvalidOperationException($"containerd exited with {_containerd.ExitCode}:\n{ReadLog()}");
            }

            return File.Exists(Socket) && await CriPluginOkAsync(cancellationToken);
        }, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(50));
        if (!serving)
        {
            throw new TimeoutException($"containerd did not serve CRI on {Socket} within 20 s:\n{ReadLog()}");
        }
    }

    private async Task<bool> CriPluginOkAsync(CancellationToken cancellationToken) =>
        await CtrAsync(["plugins", "ls"], cancellationToken) is { ExitCode: 0 } r
        && r.Stdout.Split('\n').Any(l => l.Contains("io.containerd.grpc.v1", StringComparison.Ordinal) && l.Contains(" cri ", StringComparison.Ordinal)
            && l.TrimEnd().EndsWith("ok", StringComparison.Ordinal));

    private async Task<bool> ImagesListedAsync()
    {
        var r = await CtrAsync(["-n", "k8s.io", "images", "ls", "-q"], CancellationToken.None);
        return r.ExitCode == 0 && r.Stdout.Contains(BusyboxImage, StringComparison.Ordinal) && r.Stdout.Contains(PauseImage, StringComparison.Ordinal);
    }

    /// <summary>Builds a one-layer image (busybox + applet links) as a docker archive and imports it with ctr into k8s.io.</summary>
    private async Task ImportAsync(string name, string[] cmd, CancellationToken cancellationToken)
    {
        var layer = BuildRootfsLayer();
        var layerDigest = Convert.ToHexStringLower(SHA256.HashData(layer));
        var configJson = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["config"] = new Dictionary<string, object> { ["Env"] = new[] { "PATH=/bin" }, ["Cmd"] = cmd },
            ["rootfs"] = new Dictionary<string, object> { ["type"] = "layers", ["diff_ids"] = new[] { $"sha256:{layerDigest}" } },
        });
        var configDigest = Convert.ToHexStringLower(SHA256.HashData(configJson));
        var manifest = JsonSerializer.SerializeToUtf8Bytes(new[]
        {
            new Dictionary<string, object> { ["Config"] = $"{configDigest}.json", ["RepoTags"] = new[] { name }, ["Layers"] = new[] { $"{layerDigest}.tar" } },
        });

        var archive = Path.Combine(Dir, $"image-{Guid.NewGuid():N}.tar");
        await using (var file = File.Create(archive))
        await using (var tar = new TarWriter(file, TarEntryFormat.Ustar))
        {
            AddFile(tar, "manifest.json", manifest, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            AddFile(tar, $"{configDigest}.json", configJson, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            AddFile(tar, $"{layerDigest}.tar", layer, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var r = await CtrAsync(["-n", "k8s.io", "images", "import", archive], cancellationToken);
        File.Delete(archive);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"ctr images import {name} failed ({r.ExitCode}): {r.Output}");
        }
    }

    private static byte[] BuildRootfsLayer()
    {
        const UnixFileMode Dir755 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        using var stream = new MemoryStream();
        using (var tar = new TarWriter(stream, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var d in new[] { "bin/", "etc/", "proc/", "sys/", "dev/", "root/", "var/" })
            {
                tar.WriteEntry(new UstarTarEntry(TarEntryType.Directory, d) { Mode = Dir755 });
            }

            tar.WriteEntry(new UstarTarEntry(TarEntryType.Directory, "tmp/") { Mode = Dir755 | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite | UnixFileMode.StickyBit });
            AddFile(tar, "bin/busybox", File.ReadAllBytes(BusyboxPath()!), Dir755);
            foreach (var applet in new[] { "sh", "echo", "cat", "sleep", "ls", "env", "hostname", "true", "false", "id" })
            {
                tar.WriteEntry(new UstarTarEntry(TarEntryType.SymbolicLink, $"bin/{applet}") { LinkName = "busybox", Mode = Dir755 });
            }
        }

        return stream.ToArray();
    }

    private static void AddFile(TarWriter tar, string name, byte[] content, UnixFileMode mode) =>
        tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { Mode = mode, DataStream = new MemoryStream(content) });

    private static string? BusyboxPath() => new[] { "/bin/busybox", "/usr/bin/busybox" }.FirstOrDefault(File.Exists);

    public async ValueTask DisposeAsync()
    {
        if (BeforeStopAsync is not null && _containerd is { HasExited: false })
        {
            await BeforeStopAsync();
        }

        if (_containerd is { HasExited: false })
        {
            _containerd.Kill();
            await _containerd.WaitForExitAsync();
        }

        _containerd?.Dispose();

        // Shims (and anything they still run) outlive containerd: kill those of this instance by its socket path.
        ProcessTable.KillAll(Socket);
        Mounts.UnmountUnder(Dir);
        if (!TempDirs.TryDelete(Dir))
        {
            Console.WriteLine($"cleanup: could not delete {Dir}");
        }
    }
}
