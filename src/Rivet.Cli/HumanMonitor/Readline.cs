using System.Text;

namespace Rivet.Cli.HumanMonitor;

/// <summary>
/// The human monitor's line editor, behaving as QEMU 7.2's util/readline.c does byte for byte:
/// it echoes by redrawing (cursor back with ESC [ D over the old line, the new line, ESC [ K),
/// then moves the cursor with ESC [ C / ESC [ D. Keys: printable bytes insert; Backspace/DEL,
/// C-a/C-e/Home/End (ESC [ 1~ / 4~, ESC O H / F), C-d and Delete (ESC [ 3~), left/right,
/// up/down (ESC [ A / B, also ESC [ F / E as QEMU; a history of 64 lines), C-w (erase the word
/// before the cursor), C-l (clear screen and prompt), Enter (CR or LF). Like QEMU 7.2's it has
/// no C-u, C-k, C-p or C-n (ignored). Tab completes what <paramref name="complete"/> offers
/// for the text before the cursor (one candidate: it and a space; several: their common prefix
/// and a list in columns, as QEMU's readline_completion). Bytes are kept as Latin-1 chars so any
/// byte round-trips unchanged.
/// </summary>
internal sealed class Readline(Action<string> print, Action<string> onLine, Func<string, Completions>? complete = null)
{
    public const string Prompt = "(qemu) ";
    private const int CmdBufSize = 4095;  // READLINE_CMD_BUF_SIZE
    private const int MaxHistory = 64;    // READLINE_MAX_CMDS

    private enum EscState { Norm, Esc, Csi, Ss3 }

    private readonly StringBuilder _cmd = new();
    private string _last = "";
    private int _index, _lastIndex;
    private EscState _esc;
    private int _escParam;
    private readonly List<string> _history = [];
    private int _histEntry = -1;

    /// <summary>readline_restart: forgets the line being typed.</summary>
    public void Restart()
    {
        _cmd.Clear();
        _index = 0;
    }

    /// <summary>readline_show_prompt.</summary>
    public void ShowPrompt()
    {
        print(Prompt);
        _last = "";
        _lastIndex = 0;
        _esc = EscState.Norm;
    }

    /// <summary>readline_handle_byte.</summary>
    public void HandleByte(byte ch)
    {
        switch (_esc)
        {
            case EscState.Norm:
                switch (ch)
                {
                    case 1: _index = 0; break;
                    case 4: DeleteChar(); break;
                    case 5: _index = _cmd.Length; break;
                    case 9: Complete(); break;
                    case 12: ClearScreen(); break;
                    case 10 or 13: Enter(); break;
                    case 23: BackWord(); break;
                    case 27: _esc = EscState.Esc; break;
                    case 127 or 8: Backspace(); break;
                    case 155: _esc = EscState.Csi; _escParam = 0; break;
                    default:
                        if (ch >= 32) Insert((char)ch);
                        break;
                }
                break;
            case EscState.Esc:
                if (ch == '[')
                {
                    _esc = EscState.Csi;
                    _escParam = 0;
                }
                else if (ch == 'O')
                {
                    _esc = EscState.Ss3;
                    _escParam = 0;
                }
                else
                {
                    _esc = EscState.Norm;
                }
                break;
            case EscState.Csi:
                if (ch is >= (byte)'0' and <= (byte)'9')
                {
                    _escParam = Math.Min(_escParam * 10 + (ch - '0'), 1 << 20);
                    break;
                }
                switch ((char)ch)
                {
                    case 'A' or 'F': Up(); break;
                    case 'B' or 'E': Down(); break;
                    case 'D': if (_index > 0) _index--; break;
                    case 'C': if (_index < _cmd.Length) _index++; break;
                    case '~':
                        switch (_escParam)
                        {
                            case 1: _index = 0; break;
                            case 3: DeleteChar(); break;
                            case 4: _index = _cmd.Length; break;
                        }
                        break;
                }
                _esc = EscState.Norm;
                break;
            case EscState.Ss3:
                if (ch == 'F') _index = _cmd.Length;
                else if (ch == 'H') _index = 0;
                _esc = EscState.Norm;
                break;
        }
        Update();
    }

    /// <summary>readline_update: redraw the line if it changed, then move the cursor.</summary>
    private void Update()
    {
        var o = new StringBuilder();
        string now = _cmd.ToString();
        if (now != _last)
        {
            for (int i = 0; i < _lastIndex; i++) o.Append("\u001b[D");
            o.Append(now).Append("\u001b[K");
            _last = now;
            _lastIndex = now.Length;
        }
        if (_index != _lastIndex)
        {
            int delta = _index - _lastIndex;
            string move = delta > 0 ? "\u001b[C" : "\u001b[D";
            for (int i = 0; i < Math.Abs(delta); i++) o.Append(move);
            _lastIndex = _index;
        }
        if (o.Length > 0) print(o.ToString());
    }

    private void Insert(char c)
    {
        if (_cmd.Length >= CmdBufSize) return;
        _cmd.Insert(_index, c);
        _index++;
    }

    private void DeleteChar()
    {
        if (_index < _cmd.Length) _cmd.Remove(_index, 1);
    }

    private void Backspace()
    {
        if (_index == 0) return;
        _index--;
        DeleteChar();
    }

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';

    /// <summary>C-w: the word before the cursor and the spaces after it.</summary>
    private void BackWord()
    {
        if (_index == 0 || _index > _cmd.Length) return;
        int start = _index - 1;
        while (start > 0 && IsSpace(_cmd[start])) start--;
        while (start > 0)
        {
            if (IsSpace(_cmd[start]))
            {
                start++;
                break;
            }
            start--;
        }
        if (start < _index)
        {
            _cmd.Remove(start, _index - start);
            _index = start;
        }
    }

    /// <summary>readline_completion.</summary>
    private void Complete()
    {
        if (complete == null) return;
        Completions found = complete(_cmd.ToString(0, _index));
        List<string> list = [.. found.Candidates.Distinct(StringComparer.Ordinal)];
        if (list.Count == 0) return;
        if (list.Count == 1)
        {
            string only = list[0];
            for (int i = found.Index; i < only.Length; i++) Insert(only[i]);
            if (only.Length > 0 && only[^1] != '/') Insert(' ');
            return;
        }
        list.Sort(StringComparer.Ordinal);
        print("\n");
        int maxWidth = 0, maxPrefix = 0;
        for (int i = 0; i < list.Count; i++)
        {
            int len = list[i].Length;
            if (i == 0)
            {
                maxPrefix = len;
            }
            else
            {
                maxPrefix = Math.Min(maxPrefix, len);
                for (int j = 0; j < maxPrefix; j++)
                {
                    if (list[i][j] != list[0][j])
                    {
                        maxPrefix = j;
                        break;
                    }
                }
            }
            maxWidth = Math.Max(maxWidth, len);
        }
        for (int i = found.Index; i < maxPrefix; i++) Insert(list[0][i]);
        maxWidth = Math.Clamp(maxWidth + 2, 10, 80);
        int columns = 80 / maxWidth;
        var o = new StringBuilder();
        for (int i = 0, j = 0; i < list.Count; i++)
        {
            o.Append(list[i].PadRight(maxWidth));
            if (++j == columns || i == list.Count - 1)
            {
                o.Append('\n');
                j = 0;
            }
        }
        print(o.ToString());
        ShowPrompt();
    }

    private void ClearScreen()
    {
        print("\u001b[2J\u001b[1;1H");
        ShowPrompt();
    }

    private void Enter()
    {
        string line = _cmd.ToString();
        AddHistory(line);
        print("\n");
        _cmd.Clear();
        _index = 0;
        _last = "";
        _lastIndex = 0;
        onLine(line);
    }

    /// <summary>readline_hist_add: a line moves to the end (once); the oldest goes when 64 are kept.</summary>
    private void AddHistory(string line)
    {
        if (line.Length == 0) return;
        int found = _history.IndexOf(line);
        if (found == MaxHistory - 1) return;
        if (found >= 0) _history.RemoveAt(found);
        else if (_history.Count == MaxHistory) _history.RemoveAt(0);
        _history.Add(line);
        _histEntry = -1;
    }

    private void Up()
    {
        if (_histEntry == 0) return;
        if (_histEntry == -1) _histEntry = _history.Count;
        _histEntry--;
        if (_histEntry >= 0) SetLine(_history[_histEntry]);
    }

    private void Down()
    {
        if (_histEntry == -1) return;
        if (_histEntry < MaxHistory - 1 && ++_histEntry < _history.Count)
        {
            SetLine(_history[_histEntry]);
        }
        else
        {
            _histEntry = -1;
            SetLine("");
        }
    }

    private void SetLine(string s)
    {
        _cmd.Clear().Append(s);
        _index = s.Length;
    }
}

/// <summary>What Tab may complete: the candidates for the word being typed, which starts <see cref="Index"/> characters into each.</summary>
internal sealed record Completions(int Index, IReadOnlyList<string> Candidates)
{
    public static readonly Completions None = new(0, []);
}
