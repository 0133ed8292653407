// SPDX-License-Identifier: BSD-3-Clause

// `cxlmem daemon`: owns one cxl-fwd role=host per pod, started inside the
// pod's network namespace (cxl-fwd --netns). The plugin asks it to start,
// stop and check them over a Unix socket. A forwarder that dies is started
// again after --restart-delay; a forwarder whose pod namespace disappeared
// without a DEL (its path gone or now another namespace) is stopped and its
// window released. Each forwarder is recorded in --state-dir, so that a
// restarted daemon stops what an earlier one left running and starts the
// forwarders of the pods that still exist again.

package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/rpc"
	"net/rpc/jsonrpc"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/containernetworking/cni/pkg/types"
	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/vishvananda/netlink"
)

type daemonOpts struct {
	socket       string
	stateDir     string
	fwdBin       string
	eal          []string
	fwdArgs      []string
	restartDelay time.Duration
	startTimeout time.Duration
	watch        time.Duration
}

type forwarder struct {
	st       Status
	cmd      *exec.Cmd
	done     chan struct{} // closed when cmd has been waited for
	stopping bool
	timer    *time.Timer // pending restart
}

type Daemon struct {
	o    daemonOpts
	mu   sync.Mutex
	fwds map[string]*forwarder
}

var cidRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.\-]*$`)

func (d *Daemon) statePath(cid string) string { return filepath.Join(d.o.stateDir, cid+".json") }
func (d *Daemon) logPath(cid string) string   { return filepath.Join(d.o.stateDir, cid+".log") }

func (d *Daemon) saveState(f *forwarder) {
	b, _ := json.MarshalIndent(&f.st, "", "  ")
	tmp := d.statePath(f.st.ContainerID) + ".tmp"
	if err := os.WriteFile(tmp, b, 0600); err == nil {
		_ = os.Rename(tmp, d.statePath(f.st.ContainerID))
	}
}

func nsIdentity(path string) (uint64, uint64, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0, 0, err
	}
	return uint64(st.Dev), st.Ino, nil
}

// tail: the last n lines of a file, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

func (d *Daemon) fwdCommand(st *Status) *exec.Cmd {
	devargs := "role=host," + st.Window.devargs()
	if st.CxlOptions != "" {
		devargs += "," + st.CxlOptions
	}
	args := append([]string{}, d.o.eal...)
	args = append(args, "--file-prefix", st.Prefix, "--")
	args = append(args, "--cxl", devargs, "--netns", st.Netns, "--iface", st.Link.IfName,
		"--ipv4", st.Link.HostAddress, "--mtu", fmt.Sprint(st.Link.MTU))
	args = append(args, d.o.fwdArgs...)
	return exec.Command(d.o.fwdBin, args...)
}

// launch starts f's cxl-fwd and the goroutine that reaps it. Called with d.mu held.
func (d *Daemon) launch(f *forwarder) error {
	logf, err := os.OpenFile(d.logPath(f.st.ContainerID), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0600)
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "=== %s start\n", time.Now().Format(time.RFC3339))
	cmd := d.fwdCommand(&f.st)
	cmd.Stdout = logf
	cmd.Stderr = logf
	// Its own process group: a signal meant for the daemon's terminal does not reach it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	logf.Close()
	f.cmd = cmd
	f.done = make(chan struct{})
	f.st.Pid = cmd.Process.Pid
	f.st.Running = true
	d.saveState(f)
	go d.reap(f, cmd, f.done)
	return nil
}

func (d *Daemon) reap(f *forwarder, cmd *exec.Cmd, done chan struct{}) {
	err := cmd.Wait()
	d.mu.Lock()
	defer d.mu.Unlock()
	close(done)
	if f.cmd != cmd {
		return
	}
	f.st.Running = false
	f.st.LinkUp = false
	if err != nil {
		f.st.LastExit = err.Error()
	} else {
		f.st.LastExit = "exit status 0"
	}
	if f.stopping || d.fwds[f.st.ContainerID] != f {
		return
	}
	log.Printf("%s: cxl-fwd (pid %d) exited: %s; starting it again in %s", f.st.ContainerID,
		cmd.Process.Pid, f.st.LastExit, d.o.restartDelay)
	d.saveState(f)
	f.timer = time.AfterFunc(d.o.restartDelay, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if f.stopping || d.fwds[f.st.ContainerID] != f || f.st.Running {
			return
		}
		if dev, ino, err := nsIdentity(f.st.Netns); err != nil || dev != f.st.NetnsDev || ino != f.st.NetnsIno {
			return // the watcher releases it
		}
		f.st.Restarts++
		if err := d.launch(f); err != nil {
			log.Printf("%s: restarting cxl-fwd: %v", f.st.ContainerID, err)
		}
	})
}

// waitReady waits until the forwarder's interface carries the host address
// in the pod namespace, or the forwarder died, or the timeout passed.
func (d *Daemon) waitReady(f *forwarder, done chan struct{}) (string, error) {
	want, _ := netlink.ParseAddr(f.st.Link.HostAddress)
	deadline := time.Now().Add(d.o.startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return "", fmt.Errorf("cxl-fwd exited while starting (%s); its last lines: %s",
				f.st.LastExit, tail(d.logPath(f.st.ContainerID), 6))
		default:
		}
		var mac string
		err := ns.WithNetNSPath(f.st.Netns, func(ns.NetNS) error {
			l, err := netlink.LinkByName(f.st.Link.IfName)
			if err != nil {
				return err
			}
			addrs, err := netlink.AddrList(l, netlink.FAMILY_V4)
			if err != nil {
				return err
			}
			for _, a := range addrs {
				if a.IPNet.String() == want.IPNet.String() {
					mac = l.Attrs().HardwareAddr.String()
					return nil
				}
			}
			return errors.New("no address yet")
		})
		if err == nil {
			return mac, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "", fmt.Errorf("cxl-fwd did not bring up %s with %s within %s; its last lines: %s",
		f.st.Link.IfName, f.st.Link.HostAddress, d.o.startTimeout, tail(d.logPath(f.st.ContainerID), 6))
}

func (d *Daemon) Add(a *AddArgs, r *AddReply) error {
	if !cidRe.MatchString(a.ContainerID) {
		r.Err = types.NewError(types.ErrInvalidEnvironmentVariables,
			fmt.Sprintf("cxlmem: container ID %q: letters, digits, '_', '.', '-' only", a.ContainerID), "")
		return nil
	}
	dev, ino, err := nsIdentity(a.Netns)
	if err != nil {
		r.Err = types.NewError(types.ErrInvalidEnvironmentVariables,
			fmt.Sprintf("cxlmem: CNI_NETNS %s: %v", a.Netns, err), "")
		return nil
	}
	d.mu.Lock()
	if old, ok := d.fwds[a.ContainerID]; ok {
		d.mu.Unlock()
		r.Err = types.NewError(ErrAlreadySetUp,
			fmt.Sprintf("cxlmem: container %s already has a forwarder on window %s", a.ContainerID, old.st.Window.describe()),
			"ADD was called twice: DEL it first")
		return nil
	}
	var win *Window
	claimedBy := func(w *Window) *forwarder {
		for _, f := range d.fwds {
			if f.st.Window.overlaps(w) {
				return f
			}
		}
		return nil
	}
	if a.Want != "" {
		var names []string
		for i := range a.Windows {
			names = append(names, a.Windows[i].Name)
			if a.Windows[i].Name == a.Want {
				win = &a.Windows[i]
			}
		}
		if win == nil {
			d.mu.Unlock()
			r.Err = cfgErr("cxlmem: window %q asked for (CXLMEM_WINDOW or args.cni.window): no window of that name; the configuration has %s", a.Want, strings.Join(names, ", "))
			return nil
		}
		if f := claimedBy(win); f != nil {
			d.mu.Unlock()
			r.Err = types.NewError(ErrWindowUnavailable,
				fmt.Sprintf("cxlmem: window %s is in use by another pod (container %s)", win.describe(), f.st.ContainerID),
				"ask for a free window (CNI_ARGS CXLMEM_WINDOW=NAME or args.cni.window), or delete that pod first")
			return nil
		}
	} else {
		var busy []string
		for i := range a.Windows {
			if f := claimedBy(&a.Windows[i]); f != nil {
				busy = append(busy, a.Windows[i].Name+" by "+f.st.ContainerID)
			} else if win == nil {
				win = &a.Windows[i]
			}
		}
		if win == nil {
			d.mu.Unlock()
			r.Err = types.NewError(ErrWindowUnavailable,
				fmt.Sprintf("cxlmem: all %d windows are in use (%s)", len(a.Windows), strings.Join(busy, ", ")),
				"add a window (a card) to \"windows\", or delete a pod that holds one")
			return nil
		}
	}
	prefix := a.ContainerID
	if len(prefix) > 24 {
		prefix = prefix[:24]
	}
	f := &forwarder{st: Status{
		ContainerID: a.ContainerID, Netns: a.Netns, NetnsDev: dev, NetnsIno: ino,
		Window: *win, Link: a.Link, CxlOptions: a.CxlOptions, Prefix: "cxlmem-" + prefix,
	}}
	if win.Path != "" {
		if _, err := os.Stat(win.Path); errors.Is(err, os.ErrNotExist) {
			f.st.Created = true
		}
	}
	d.fwds[a.ContainerID] = f
	_ = os.Remove(d.logPath(a.ContainerID))
	if err := d.launch(f); err != nil {
		delete(d.fwds, a.ContainerID)
		d.mu.Unlock()
		r.Err = types.NewError(ErrForwarder, fmt.Sprintf("cxlmem: cannot start %s: %v", d.o.fwdBin, err),
			"install cxl-fwd or start the daemon with --cxl-fwd PATH")
		return nil
	}
	done := f.done
	d.mu.Unlock()

	mac, err := d.waitReady(f, done)
	if err != nil {
		d.release(a.ContainerID)
		r.Err = types.NewError(ErrForwarder, "cxlmem: "+err.Error(),
			"check the window ("+win.describe()+") and cxlOptions; the card's end must use the same geometry")
		return nil
	}
	log.Printf("%s: cxl-fwd pid %d on %s in %s", a.ContainerID, f.st.Pid, win.describe(), a.Netns)
	r.Window, r.Mac, r.Pid = *win, mac, f.st.Pid
	return nil
}

// stop ends f's forwarder: SIGTERM (it drains and prints its totals), then
// SIGKILL after 5 s. Called without d.mu.
func (d *Daemon) stop(f *forwarder) {
	d.mu.Lock()
	f.stopping = true
	if f.timer != nil {
		f.timer.Stop()
	}
	cmd, done := f.cmd, f.done
	d.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// release stops the forwarder of cid and removes everything it had: its
// DPDK runtime directory, the window file if it was created for it, its
// state and log. Succeeds when there is nothing to release.
func (d *Daemon) release(cid string) {
	d.mu.Lock()
	f, ok := d.fwds[cid]
	d.mu.Unlock()
	if !ok {
		return
	}
	d.stop(f)
	d.mu.Lock()
	if d.fwds[cid] == f {
		delete(d.fwds, cid)
	}
	d.mu.Unlock()
	d.cleanupFiles(&f.st)
	log.Printf("%s: released window %s", cid, f.st.Window.describe())
}

func (d *Daemon) cleanupFiles(st *Status) {
	_ = os.RemoveAll(filepath.Join("/var/run/dpdk", st.Prefix))
	if st.Created {
		_ = os.Remove(st.Window.Path)
	}
	// The host end's own doorbell sockets (net_cxlmem doorbell=auto, beside
	// a file window), left behind when the forwarder was killed.
	if st.Window.Path != "" {
		if real, err := filepath.EvalSymlinks(filepath.Dir(st.Window.Path)); err == nil {
			db, _ := filepath.Glob(filepath.Join(real, filepath.Base(st.Window.Path)) + "*.db-d2h-*")
			for _, f := range db {
				_ = os.Remove(f)
			}
		}
	}
	_ = os.Remove(d.statePath(st.ContainerID))
	_ = os.Remove(d.logPath(st.ContainerID))
}

func (d *Daemon) Del(a *IDArgs, r *Reply) error {
	d.release(a.ContainerID)
	return nil
}

func (d *Daemon) Check(a *IDArgs, r *Reply) error {
	d.mu.Lock()
	f, ok := d.fwds[a.ContainerID]
	var st Status
	if ok {
		st = f.st
	}
	d.mu.Unlock()
	if !ok {
		r.Err = types.NewError(ErrCheckFailed,
			fmt.Sprintf("cxlmem: no forwarder for container %s", a.ContainerID),
			"ADD did not succeed, or its pod namespace went away; delete and recreate the pod")
		return nil
	}
	if a.Netns != "" && a.Netns != st.Netns {
		r.Err = types.NewError(ErrCheckFailed,
			fmt.Sprintf("cxlmem: container %s's forwarder runs in %s, not in CNI_NETNS %s", a.ContainerID, st.Netns, a.Netns), "")
		return nil
	}
	if !st.Running {
		r.Err = types.NewError(ErrCheckFailed,
			fmt.Sprintf("cxlmem: the forwarder of container %s (window %s) is not running: %s", a.ContainerID, st.Window.describe(), st.LastExit),
			fmt.Sprintf("the daemon starts it again within %s; its log: %s", d.o.restartDelay, d.logPath(a.ContainerID)))
		return nil
	}
	up, err := telemetryLinkUp(st.Prefix)
	if err != nil {
		r.Err = types.NewError(ErrCheckFailed,
			fmt.Sprintf("cxlmem: cannot read the link state of container %s's forwarder (pid %d): %v", a.ContainerID, st.Pid, err), "")
		return nil
	}
	if !up {
		r.Err = types.NewError(ErrCheckFailed,
			fmt.Sprintf("cxlmem: the link to the card over window %s is down (container %s)", st.Window.describe(), a.ContainerID),
			"start cxl-fwd role=device on the card over the same window (its systemd unit), with the same queues/rsize/bsize")
		return nil
	}
	return nil
}

func (d *Daemon) List(_ *struct{}, r *ListReply) error {
	d.mu.Lock()
	var prefixes []*Status
	for _, f := range d.fwds {
		st := f.st
		prefixes = append(prefixes, &st)
	}
	d.mu.Unlock()
	for _, st := range prefixes {
		if st.Running {
			st.LinkUp, _ = telemetryLinkUp(st.Prefix)
		}
		r.Forwarders = append(r.Forwarders, *st)
	}
	return nil
}

// watch releases the forwarders whose pod namespace is gone: the runtime
// removed the pod without a DEL (or the pod's process, whose
// /proc/PID/ns/net was CNI_NETNS, ended).
func (d *Daemon) watch() {
	for range time.Tick(d.o.watch) {
		d.mu.Lock()
		var gone []string
		for cid, f := range d.fwds {
			dev, ino, err := nsIdentity(f.st.Netns)
			if err != nil || dev != f.st.NetnsDev || ino != f.st.NetnsIno {
				gone = append(gone, cid)
			}
		}
		d.mu.Unlock()
		for _, cid := range gone {
			log.Printf("%s: pod network namespace gone without DEL; stopping its forwarder", cid)
			d.release(cid)
		}
	}
}

// restore handles what an earlier daemon recorded: a forwarder still
// running is stopped (it is not this daemon's child), then started again if
// its pod namespace still exists, else its window is released.
func (d *Daemon) restore() {
	paths, _ := filepath.Glob(filepath.Join(d.o.stateDir, "*.json"))
	for _, p := range paths {
		var st Status
		b, err := os.ReadFile(p)
		if err != nil || json.Unmarshal(b, &st) != nil || !cidRe.MatchString(st.ContainerID) {
			log.Printf("ignoring unreadable state file %s", p)
			continue
		}
		if st.Pid > 0 {
			cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", st.Pid))
			if strings.Contains(string(cmdline), "\x00"+st.Prefix+"\x00") {
				_ = syscall.Kill(st.Pid, syscall.SIGTERM)
				for i := 0; i < 50 && syscall.Kill(st.Pid, 0) == nil; i++ {
					time.Sleep(100 * time.Millisecond)
				}
				_ = syscall.Kill(st.Pid, syscall.SIGKILL)
			}
		}
		dev, ino, err := nsIdentity(st.Netns)
		if err != nil || dev != st.NetnsDev || ino != st.NetnsIno {
			log.Printf("%s: pod namespace gone; releasing window %s", st.ContainerID, st.Window.describe())
			d.cleanupFiles(&st)
			continue
		}
		f := &forwarder{st: st}
		d.mu.Lock()
		d.fwds[st.ContainerID] = f
		if err := d.launch(f); err != nil {
			log.Printf("%s: restarting cxl-fwd: %v", st.ContainerID, err)
		} else {
			log.Printf("%s: forwarder started again (pid %d)", st.ContainerID, f.st.Pid)
		}
		d.mu.Unlock()
	}
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(s string) error { *l = append(*l, strings.Fields(s)...); return nil }

func runDaemon(args []string) {
	fs := flag.NewFlagSet("cxlmem daemon", flag.ExitOnError)
	var o daemonOpts
	var eal, fwdArgs listFlag
	fs.StringVar(&o.socket, "socket", defaultSocket, "Unix socket the plugin connects to")
	fs.StringVar(&o.stateDir, "state-dir", "/run/cni/cxlmem", "where each forwarder is recorded (and its log)")
	fs.StringVar(&o.fwdBin, "cxl-fwd", "/usr/local/bin/cxl-fwd", "the cxl-fwd binary")
	fs.Var(&eal, "eal", "EAL options of each cxl-fwd, split at spaces (default: --no-huge --no-pci -m 128 -l 0 --log-level=lib.eal:warning)")
	fs.Var(&fwdArgs, "fwd-args", "more cxl-fwd options after --, split at spaces (e.g. --poll-lcores 1, --stats 60)")
	fs.DurationVar(&o.restartDelay, "restart-delay", time.Second, "delay before a forwarder that died is started again")
	fs.DurationVar(&o.startTimeout, "start-timeout", 30*time.Second, "how long a forwarder may take to bring up its interface")
	fs.DurationVar(&o.watch, "watch", time.Second, "how often the pods' namespaces are checked")
	_ = fs.Parse(args)
	if fs.NArg() != 0 {
		log.Fatalf("cxlmem daemon: unexpected argument %q", fs.Arg(0))
	}
	o.eal = eal
	if len(o.eal) == 0 {
		o.eal = []string{"--no-huge", "--no-pci", "-m", "128", "-l", "0", "--log-level=lib.eal:warning"}
	}
	o.fwdArgs = fwdArgs
	if len(o.fwdArgs) == 0 {
		o.fwdArgs = []string{"--stats", "0"}
	}
	log.SetPrefix("cxlmem daemon: ")
	log.SetFlags(log.LstdFlags)
	if _, err := exec.LookPath(o.fwdBin); err != nil {
		log.Fatalf("--cxl-fwd %s: %v (build cxl-fwd or give its path)", o.fwdBin, err)
	}
	if err := os.MkdirAll(o.stateDir, 0700); err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(o.socket), 0700); err != nil {
		log.Fatal(err)
	}
	if c, err := net.Dial("unix", o.socket); err == nil {
		c.Close()
		log.Fatalf("another daemon already listens on %s", o.socket)
	}
	_ = os.Remove(o.socket)
	l, err := net.Listen("unix", o.socket)
	if err != nil {
		log.Fatal(err)
	}
	_ = os.Chmod(o.socket, 0600)

	d := &Daemon{o: o, fwds: map[string]*forwarder{}}
	d.restore()
	srv := rpc.NewServer()
	if err := srv.Register(d); err != nil {
		log.Fatal(err)
	}
	go d.watch()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		s := <-sig
		log.Printf("%s: stopping the forwarders (their records stay in %s for the next daemon)", s, o.stateDir)
		l.Close()
		d.mu.Lock()
		var all []*forwarder
		for _, f := range d.fwds {
			all = append(all, f)
		}
		d.mu.Unlock()
		for _, f := range all {
			d.stop(f)
		}
		_ = os.Remove(o.socket)
		os.Exit(0)
	}()
	log.Printf("listening on %s (cxl-fwd %s, state in %s)", o.socket, o.fwdBin, o.stateDir)
	for {
		conn, err := l.Accept()
		if err != nil {
			select {} // shutting down
		}
		go srv.ServeCodec(jsonrpc.NewServerCodec(conn))
	}
}
