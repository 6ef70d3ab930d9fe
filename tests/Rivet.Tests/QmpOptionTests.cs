using Rivet.Cli;
using Rivet.Cli.Chardev;

namespace Rivet.Tests;

/// <summary>-qmp and -mon mode=control as parsed: which become listeners, which character devices.</summary>
public sealed class QmpOptionTests
{
    private static CliOptions Parse(params string[] args) => CommandLine.Parse(["-kernel", "k.elf", .. args]);

    [Fact]
    public void MinusQmpStdioIsACharacterDeviceAndTheDefaultSerialPortGivesWay()
    {
        CliOptions o = Parse("-qmp", "stdio");
        QmpChardev q = Assert.Single(o.QmpChardevs);
        Assert.Equal("compat_monitor0", q.Id);
        Assert.Equal("stdio", Assert.Single(o.Chardevs, c => c.Id == q.Id).Backend);
        Assert.Null(o.Serial); // QEMU's default serial port is on its display, not stdio
        Assert.Empty(o.Qmp);
    }

    [Fact]
    public void ListeningSocketsStayTheServersOwnAndClientsBecomeDevices()
    {
        CliOptions o = Parse("-qmp", "unix:/tmp/a.sock,server,wait=off", "-qmp", "unix:/tmp/b.sock", "-qmp", "tcp:127.0.0.1:4444", "-qmp", "pipe:/tmp/p");
        Assert.Equal("/tmp/a.sock", Assert.Single(o.Qmp).Path);
        Assert.Equal(["compat_monitor0", "compat_monitor1", "compat_monitor2"], o.QmpChardevs.Select(q => q.Id));
        ChardevSpec[] devices = [.. o.QmpChardevs.Select(q => o.Chardevs.Single(c => c.Id == q.Id))];
        Assert.All(devices.Take(2), d => Assert.False(d.Server));
        Assert.Equal(["socket", "socket", "pipe"], devices.Select(d => d.Backend));
        Assert.Equal("stdio", o.Serial?.Backend); // nothing else took stdio
    }

    [Fact]
    public void MonModeControlOnAnyDeviceAndPrettyIsKept()
    {
        CliOptions o = Parse("-chardev", "pipe,id=p,path=/tmp/p", "-mon", "chardev=p,mode=control,pretty=on",
            "-chardev", "socket,id=s,path=/tmp/s.sock,server=on,wait=off", "-mon", "chardev=s,mode=control,pretty=on");
        QmpChardev q = Assert.Single(o.QmpChardevs);
        Assert.Equal(("p", true), (q.Id, q.Pretty));
        Rivet.Qmp.QmpEndpoint listener = Assert.Single(o.Qmp);
        Assert.True(listener.Pretty);
        Assert.DoesNotContain(o.Chardevs, c => c.Id == "s"); // the QMP server binds it itself
    }

    [Fact]
    public void MinusQmpPrettyIsMinusQmpIndented()
    {
        CliOptions o = Parse("-qmp-pretty", "stdio", "-qmp-pretty", "unix:/tmp/a.sock,server,wait=off");
        Assert.True(Assert.Single(o.QmpChardevs).Pretty);
        Assert.True(Assert.Single(o.Qmp).Pretty);
    }
}
