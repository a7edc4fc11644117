namespace Kube.Store.Tests.Simulation;

/// <summary>What a batch of simulated histories exercised.</summary>
internal sealed class SimStats
{
    public long Histories { get; set; }
    public long Operations { get; set; }
    public long Unknown { get; set; }
    public long VirtualMs { get; set; }
    public long Elections { get; set; }
    public long Messages { get; set; }
    public long Crashes { get; set; }
    public long SnapshotsInstalled { get; set; }
    public long Compactions { get; set; }

    public void Add(SimStats other)
    {
        Histories += other.Histories;
        Operations += other.Operations;
        Unknown += other.Unknown;
        VirtualMs += other.VirtualMs;
        Elections += other.Elections;
        Messages += other.Messages;
        Crashes += other.Crashes;
        SnapshotsInstalled += other.SnapshotsInstalled;
        Compactions += other.Compactions;
    }

    public override string ToString() =>
        $"{Histories} histories, {Operations} ops ({Unknown} unknown outcome), {Elections} leader terms, {Messages} messages, "
        + $"{Crashes} crashes, {SnapshotsInstalled} snapshot installs, {Compactions} compactions, {VirtualMs / 1000.0:F0} s virtual";
}
