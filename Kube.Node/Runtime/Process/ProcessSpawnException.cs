namespace Kube.Node.Runtime.Process;

/// <summary>posix_spawnp failed: the errno and a message in the style of upstream's StartError.</summary>
internal sealed class ProcessSpawnException(int errno, string file)
    : Exception(errno switch
    {
        2 => $"exec: \"{file}\": executable file not found in $PATH",
        13 => $"exec: \"{file}\": permission denied",
        _ => $"exec: \"{file}\": posix_spawnp failed with errno {errno}",
    })
{
    public int Errno { get; } = errno;
}
