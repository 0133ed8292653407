// SPDX-License-Identifier: BSD-3-Clause

// The link state of a forwarder's net_cxlmem port, read through DPDK's
// telemetry socket (/var/run/dpdk/PREFIX/dpdk_telemetry.v2, SOCK_SEQPACKET,
// one JSON object per command): /ethdev/list, /ethdev/info,ID to find the
// port named net_cxlmem0, /ethdev/link_status,ID for its state.

package main

import (
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"time"
)

func telemetryCmd(c net.Conn, cmd string) (json.RawMessage, error) {
	if _, err := c.Write([]byte(cmd)); err != nil {
		return nil, err
	}
	buf := make([]byte, 64*1024)
	n, err := c.Read(buf)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(buf[:n], &m); err != nil {
		return nil, fmt.Errorf("telemetry %s: %v", cmd, err)
	}
	for _, v := range m {
		return v, nil
	}
	return nil, fmt.Errorf("telemetry %s: empty answer", cmd)
}

// telemetryLinkUp: whether net_cxlmem0's link is up in the forwarder that
// runs with DPDK file prefix prefix.
func telemetryLinkUp(prefix string) (bool, error) {
	path := filepath.Join("/var/run/dpdk", prefix, "dpdk_telemetry.v2")
	c, err := net.DialTimeout("unixpacket", path, 2*time.Second)
	if err != nil {
		return false, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	hello := make([]byte, 4096)
	if _, err := c.Read(hello); err != nil {
		return false, err
	}
	raw, err := telemetryCmd(c, "/ethdev/list")
	if err != nil {
		return false, err
	}
	var ids []int
	if err := json.Unmarshal(raw, &ids); err != nil {
		return false, fmt.Errorf("telemetry /ethdev/list: %v", err)
	}
	for _, id := range ids {
		raw, err := telemetryCmd(c, fmt.Sprintf("/ethdev/info,%d", id))
		if err != nil {
			return false, err
		}
		var info struct {
			Name string `json:"name"`
		}
		_ = json.Unmarshal(raw, &info)
		if info.Name != "net_cxlmem0" {
			continue
		}
		raw, err = telemetryCmd(c, fmt.Sprintf("/ethdev/link_status,%d", id))
		if err != nil {
			return false, err
		}
		var ls struct {
			Status string `json:"status"`
		}
		if err := json.Unmarshal(raw, &ls); err != nil {
			return false, fmt.Errorf("telemetry /ethdev/link_status: %v", err)
		}
		return ls.Status == "UP", nil
	}
	return false, fmt.Errorf("no net_cxlmem0 port among ethdev ports %v", ids)
}
